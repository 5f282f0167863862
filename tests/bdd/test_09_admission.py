"""Runs the regulation in features/09_admission.feature."""

from pytest_bdd import scenarios

scenarios("09_admission.feature")
