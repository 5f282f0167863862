"""Runs the regulation in features/17_task_attendance.feature."""

from pytest_bdd import scenarios

scenarios("17_task_attendance.feature")
