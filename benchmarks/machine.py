"""The machine a run was measured on, for the table's title and the JSON."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _os() -> str:
    try:
        return platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        return platform.platform()


def describe() -> dict[str, Any]:
    """Cores, CPU, memory, Python, OS, SQLite; and the load average, since other
    work on a shared machine moves every absolute figure."""
    default = sqlite3.connect(":memory:")
    synchronous = default.execute("PRAGMA synchronous").fetchone()[0]
    default.close()
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_mb": _memory_mb(),
        "python": platform.python_version(),
        "os": _os(),
        "kernel": platform.release(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sqlite_default_synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
            synchronous, str(synchronous)
        ),
    }


def summary(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cores']} cores {machine['cpu']}, {machine['os']}, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}; "
        f"load average {machine['load_average'][0]:.1f} at the start"
    )
