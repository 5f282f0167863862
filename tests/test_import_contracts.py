"""The import rule between the rooms is checked, and a break of it is caught.

``make test`` runs ``lint-imports`` on the project; here the same contracts run
on a copy of the packages, once as they are (kept) and once with one import
that breaks each kind of rule (broken, naming the contract).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "loop", "projections", "aggregates")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def copy_project(dest: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("contracts"))


def test_the_project_keeps_every_contract(project: Path) -> None:
    result = lint(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


VIOLATIONS = [
    # a rule reaching into storage: rules and storage stay apart
    ("loop/rules/units.py", "import loop.storage.group_commit", "loop-rooms"),
    # storage knowing a command
    ("loop/storage/chain.py", "import loop.services.incidents", "loop-rooms"),
    # a service reaching up to the composition root
    ("loop/services/bank.py", "import loop.bootstrap", "loop-rooms"),
    # the loop knowing the HTTP service
    ("loop/services/audit.py", "import api.app", "product-layers"),
    # a read model importing loop code
    ("projections/rows.py", "import loop.rules.stages", "projections-read-only"),
    # an aggregate using a database library
    ("aggregates/incident.py", "import sqlalchemy", "aggregates-pure"),
    # a route going around the services to storage
    ("api/routes/policy.py", "import loop.storage.keys", "thin-entry-points"),
]


@pytest.mark.parametrize(("module", "line", "contract"), VIOLATIONS)
def test_a_deliberate_violation_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    copy = copy_project(tmp_path)
    path = copy / module
    path.write_text(path.read_text() + f"\n{line}  # deliberate violation\n")
    result = lint(copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    names = {
        "loop-rooms": "Inside loop",
        "product-layers": "The HTTP service sits on the loop",
        "projections-read-only": "Read models read events",
        "aggregates-pure": "Aggregates use the event-sourcing domain",
        "thin-entry-points": "Routes and console pages call services",
    }
    assert names[contract] in broken, result.stdout
