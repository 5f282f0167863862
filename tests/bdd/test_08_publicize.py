"""Runs the regulation in features/08_publicize.feature."""

from pytest_bdd import scenarios

scenarios("08_publicize.feature")
