"""Runs the regulation in features/07_reward.feature."""

from pytest_bdd import scenarios

scenarios("07_reward.feature")
