"""Runs the regulation in features/06_score.feature."""

from pytest_bdd import scenarios

scenarios("06_score.feature")
