"""Runs the regulation in features/05_follow_up.feature."""

from pytest_bdd import scenarios

scenarios("05_follow_up.feature")
