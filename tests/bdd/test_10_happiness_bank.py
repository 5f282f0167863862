"""Runs the regulation in features/10_happiness_bank.feature."""

from pytest_bdd import scenarios

scenarios("10_happiness_bank.feature")
