"""Crashes on purpose: processes killed at chosen points (first start, right after a
command's commit) and at random (the crash soak), then restarted and checked."""
