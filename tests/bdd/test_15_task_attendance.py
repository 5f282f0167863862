"""Runs the regulation in features/15_task_attendance.feature."""

from pytest_bdd import scenarios

scenarios("15_task_attendance.feature")
