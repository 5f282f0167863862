"""Runs the regulation in features/01_discover.feature."""

from pytest_bdd import scenarios

scenarios("01_discover.feature")
