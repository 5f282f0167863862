"""Runs the regulation in features/14_duty_tasks.feature."""

from pytest_bdd import scenarios

scenarios("14_duty_tasks.feature")
