"""The oracle shares no code with what it checks: its fold and its reads import
nothing of ``projections`` (nor of the loop's rules: the owners, stages and
figures it expects are restated in it), only the standard library and the
library's notification log."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ORACLE = ("fold.py", "reads.py", "compare.py", "duty_fold.py", "duty_reads.py", "export_reads.py",
          "org_fold.py", "org_reads.py", "training_fold.py", "training_reads.py",
          "talk_fold.py")  # fmt: skip
ALLOWED = ("__future__", "collections", "dataclasses", "datetime", "fractions", "random", "typing",
           "eventsourcing.persistence", "tests.oracle")  # fmt: skip


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", ORACLE)
def test_the_oracle_imports_nothing_of_the_read_models(name: str) -> None:
    modules = imported(HERE / name)
    assert modules, "the module was read"
    strays = sorted(m for m in modules if not m.startswith(ALLOWED))
    assert not strays, f"{name} imports {strays}"
