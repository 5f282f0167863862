"""Runs the regulation in features/04_divert.feature."""

from pytest_bdd import scenarios

scenarios("04_divert.feature")
