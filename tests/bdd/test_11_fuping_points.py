"""Runs the regulation in features/11_fuping_points.feature."""

from pytest_bdd import scenarios

scenarios("11_fuping_points.feature")
