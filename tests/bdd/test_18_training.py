"""Runs the regulation in features/18_training.feature."""

from pytest_bdd import scenarios

scenarios("18_training.feature")
