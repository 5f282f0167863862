"""Runs the clock's alerts in features/14_chasing.feature."""

from pytest_bdd import scenarios

from tests.bdd.notify_steps import *  # noqa: F403 (the steps and their fixtures)

scenarios("14_chasing.feature")
