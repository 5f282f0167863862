"""The HTTP service and the web console."""
