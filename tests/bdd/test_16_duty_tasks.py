"""Runs the regulation in features/16_duty_tasks.feature."""

from pytest_bdd import scenarios

scenarios("16_duty_tasks.feature")
