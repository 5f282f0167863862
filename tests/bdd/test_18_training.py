"""Runs the regulation in features/18_training.feature."""

from pytest_bdd import scenarios

from tests.bdd.projection_steps import *  # noqa: F403 (the views fixture)

scenarios("18_training.feature")
