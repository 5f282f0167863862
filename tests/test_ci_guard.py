"""The CI guard: a skip must not pass silently when CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_a_skipped_test_fails_the_run_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
    pytester.makeconftest(guard)
    pytester.makepyfile("import pytest\n\ndef test_x():\n    pytest.skip('no server')\n")
    monkeypatch.setenv("CI", "true")
    pytester.runpytest().assert_outcomes(failed=1)
    monkeypatch.delenv("CI")
    pytester.runpytest().assert_outcomes(skipped=1)
