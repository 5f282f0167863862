"""Runs the read-side rules in features/12_backlog.feature."""

from pytest_bdd import scenarios

from tests.bdd.projection_steps import *  # noqa: F403 (the steps and their fixtures)

scenarios("12_backlog.feature")
