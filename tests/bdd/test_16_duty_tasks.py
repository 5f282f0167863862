"""Runs the regulation in features/16_duty_tasks.feature."""

from pytest_bdd import scenarios

from tests.bdd.notify_steps import *  # noqa: F403 (the inbox's steps and their fixtures)

scenarios("16_duty_tasks.feature")
