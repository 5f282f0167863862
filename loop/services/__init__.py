"""The application services: one per domain (incidents, volunteers, the Happiness
Bank, personal data, audit reads), each over the one application store."""
