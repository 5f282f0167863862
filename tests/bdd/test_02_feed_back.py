"""Runs the regulation in features/02_feed_back.feature."""

from pytest_bdd import scenarios

scenarios("02_feed_back.feature")
