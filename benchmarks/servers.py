"""Servers under test run as their own processes on 127.0.0.1, on a free port.

Every HTTP row uses the same server settings, so the ceiling, the naive stack and
the product differ only in the application: uvicorn, one worker process (or as
many as a row says, the same for the rows it compares), uvloop and httptools (as
``uvicorn[standard]`` installs them), no access log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

SERVER_OPTIONS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask ``proc`` to end; kill it after ten seconds."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(
    factory: str,
    env: dict[str, str],
    workdir: Path,
    ready_path: str = "/healthz",
    workers: int = 1,
) -> Iterator[str]:
    """Run ``uvicorn --factory module:function`` and yield its base URL once
    ``ready_path`` answers; stop it afterwards. ``workers`` server processes
    share the port (uvicorn's ``--workers``)."""
    with serve_process(factory, env, workdir, ready_path, workers) as (url, _):
        yield url


@contextmanager
def serve_process(
    factory: str,
    env: dict[str, str],
    workdir: Path,
    ready_path: str = "/healthz",
    workers: int = 1,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As :func:`serve`, yielding the server's process too (to read its memory)."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                *SERVER_OPTIONS,
            ],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONPATH": pythonpath},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url + ready_path, log)
        yield url, proc
    finally:
        stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout} s: {log.read_text()[-2000:]}")
