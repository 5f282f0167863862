"""Runs the notices' rules in features/15_notices.feature."""

from pytest_bdd import scenarios

from tests.bdd.notify_steps import *  # noqa: F403 (the steps and their fixtures)

scenarios("15_notices.feature")
