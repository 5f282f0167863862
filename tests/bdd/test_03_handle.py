"""Runs the regulation in features/03_handle.feature."""

from pytest_bdd import scenarios

scenarios("03_handle.feature")
