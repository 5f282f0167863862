"""Peak resident memory of a piece of work, run in its own Python process."""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks.servers import ROOT


def peak_rss_mb(*args: str) -> float:
    """Run ``python ARGS`` and return its peak resident set size in MiB, as the
    kernel accounts it (``wait4``'s ``ru_maxrss``)."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} exited with {proc.returncode}")
    return usage.ru_maxrss / 1024  # KiB on Linux
