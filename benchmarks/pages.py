"""Console pages at a year of a county's data and at the large log: the board, an
incident, the statistics and the volunteer's own page, p99 over HTTP, each at
``{log_events}`` beside the same page at ``{small_log_events}`` in one run.

Each size is a copy of the run's log (``Context.log``: real incident events of the
demo county) with the demo's log-ins added and the read models caught up before
the service starts; the service (the benchmark servers' uvicorn, in demo mode for
the demo's passwords, which seeds nothing on a log that has events) then serves the
pages to a logged-in officer (board, incident, statistics) and volunteer (his
page), one request after another.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from api.config import ApiSettings
from api.seed import DEMO_PASSWORD, STAFF, VOLUNTEERS, create
from api.services import build_services
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.load import percentile
from benchmarks.servers import serve
from loop import demo

SERVICE = "api.app:create_app"
OFFICER = demo.OFFICER_XF.id
VOLUNTEER = demo.RIDER.id
PAGES = ("board", "incident", "stats", "volunteer")
LABELS = {
    "board": "console board",
    "incident": "console incident page",
    "stats": "console statistics",
    "volunteer": "console volunteer's page",
}


def rows() -> tuple[RowSpec, ...]:
    found: list[RowSpec] = []
    for name in PAGES:
        small = f"page.{name}.small"
        found += [
            RowSpec(small, f"{LABELS[name]} p99, {{small_log_events}} events", "ms"),
            RowSpec(
                f"page.{name}.large",
                f"{LABELS[name]} p99, {{log_events}} events",
                "ms",
                small,
                Target("<=", 1.5),
            ),
        ]
    return tuple(found)


def copy_log(log: Path, folder: Path) -> Path:
    """The log and the files beside it (its keys), copied into ``folder``."""
    folder.mkdir(parents=True)
    for each in log.parent.iterdir():
        if each.name.startswith((f"{log.stem}.", f"{log.stem}-")) and each.is_file():
            shutil.copy(each, folder / each.name)
    return folder / log.name


def prepare(path: Path) -> None:
    """The officer's and the volunteer's demo log-ins on the copied log, every read
    model caught up, and the notices this told sent: a service that has run through
    the year has sent them, and the pages are timed without the dispatcher sending
    the whole log's backlog beside them (ten times as much at ten times the log)."""
    services = build_services(ApiSettings(database_url=f"sqlite:///{path}", demo=True), start=False)
    try:
        if not len(services.loop.registry.tree()):
            demo.register_units(services.loop.registry)
        for actor, display in [*STAFF, *VOLUNTEERS]:  # the two log-ins the pages need
            if actor.id in (OFFICER, VOLUNTEER):
                create(services, actor, display)
        services.views.projector.catch_up()
        while services.notifier.dispatcher.run_once():
            pass
    finally:
        services.close()


def logged_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    answer = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client


def time_pages(url: str, reads: int) -> dict[str, list[float]]:
    """Milliseconds of ``reads`` requests of each page (after one untimed)."""
    officer, volunteer = logged_in(url, OFFICER), logged_in(url, VOLUNTEER)
    try:
        token = officer.post(
            "/api/auth/login", json={"username": OFFICER, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        listed = officer.get(
            "/api/incidents", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"}
        )
        incident = listed.json()["items"][0]["incident_id"]
        paths = {
            "board": (officer, "/board"),
            "incident": (officer, f"/incidents/{incident}"),
            "stats": (officer, "/stats"),
            "volunteer": (volunteer, "/me"),
        }
        times: dict[str, list[float]] = {}
        for name, (client, path) in paths.items():
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
            times[name] = []
            for _ in range(reads):
                started = time.perf_counter()
                answer = client.get(path)
                times[name].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
        return times
    finally:
        officer.close()
        volunteer.close()


@measurement("console pages", "product", *rows())
def console_pages(ctx: Context) -> dict[str, Figure]:
    """Each page's p99 at both sizes; the large over the small is the target."""
    c = ctx.counts
    reads = max(10, c.http_targets // 10)
    figures: dict[str, Figure] = {}
    for size, events in (("small", c.small_log_events), ("large", c.log_events)):
        path = copy_log(ctx.log(events), ctx.fresh(f"pages-{size}"))
        prepare(path)
        env = {"LISHU_DATABASE_URL": f"sqlite:///{path}", "LISHU_DEMO": "true"}
        with serve(SERVICE, env, ctx.workdir) as url:
            times = time_pages(url, reads)
        for name, taken in times.items():
            figures[f"page.{name}.{size}"] = Figure(
                percentile(taken, 99),
                {"events": events, "reads": reads, "p50_ms": round(percentile(taken, 50), 3)},
            )
    return figures
