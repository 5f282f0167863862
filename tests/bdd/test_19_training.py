"""Runs the regulation in features/19_training.feature."""

from pytest_bdd import scenarios

from tests.bdd.projection_steps import *  # noqa: F403 (the views fixture)

scenarios("19_training.feature")
