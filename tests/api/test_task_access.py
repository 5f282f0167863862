"""Who may read and do what on duty tasks: every demo user against a task of 幸福,
one of 和平 and one of another station (双阳). Staff read the tasks within their
unit; a volunteer those of his station (or the county's) and his own; anything
else answers 404 and no answer names a task the reader may not know. The
auditor changes nothing. ``tests/api/test_access_matrix.py`` counts these
endpoints as classified."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aggregates.actor import Actor
from api.app import create_app
from api.seed import DEMO_PASSWORD
from api.services import Services
from loop import demo
from loop.rules import units
from tests.api.conftest import Issued, service_settings
from tests.api.served import DEMO_USERS, SECRET, copy_database, register_shuangyang
from tests.support import CHINA, FakeClock

START = datetime(2026, 9, 1, 19, 0, tzinfo=CHINA)
PLACES = {
    "xingfu": demo.XINGFU,
    "heping": demo.HEPING,
    "nanguan": "lishu/shuangyang/nanguan",
}
OTHER_STATION = Actor("s-sy-feng", "station_officer", "lishu/shuangyang")
AUDITOR = next(u for u in DEMO_USERS if u.role == "auditor")

TASK_READS = {
    "/api/tasks",
    "/api/tasks/calendar",
    "/api/tasks/statistics",
    "/api/tasks/{task_id}",
    "/api/tasks/{task_id}/check-in-code",
    "/api/volunteers/{volunteer_id}/tasks",
}
TASK_COMMANDS = {
    "/api/tasks",
    "/api/tasks/{task_id}/revision",
    "/api/tasks/{task_id}/cancellation",
    "/api/tasks/{task_id}/sign-ups",
    "/api/tasks/{task_id}/withdrawal",
    "/api/tasks/{task_id}/reconfirmation",
    "/api/tasks/{task_id}/check-ins",
    "/api/tasks/{task_id}/check-outs",
    "/api/tasks/{task_id}/no-shows",
    "/api/tasks/{task_id}/completion",
    "/api/tasks/{task_id}/signatures",
}
TASK_PAGES = {
    "/tasks",
    "/tasks/{task_id}",
    "/tasks/{task_id}/check-in",
    "/tasks/{task_id}/qr.svg",
    "/calendar",
}
TASK_FORMS = {
    "/calendar",
    "/tasks/{task_id}/sign-up",
    "/tasks/{task_id}/withdraw",
    "/tasks/{task_id}/reconfirm",
    "/tasks/{task_id}/check-in",
    "/tasks/{task_id}/attendance/{step}",
    "/tasks/{task_id}/complete",
    "/tasks/{task_id}/sign",
}


class Matrix(Issued):
    def __init__(self, client: TestClient, services: Services, tasks: dict[str, str]) -> None:
        super().__init__(client, services, [*DEMO_USERS, OTHER_STATION])
        self.tasks = tasks


@pytest.fixture(scope="module")
def matrix(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    database = copy_database(seeded, tmp_path_factory.mktemp("task-matrix"))
    app = create_app(service_settings(f"sqlite:///{database}", secret_key=SECRET))
    with TestClient(app) as client:
        services: Services = app.state.services
        services.loop.app.clock = FakeClock(START - timedelta(days=1))
        register_shuangyang(services.loop.registry)
        services.accounts.create(
            OTHER_STATION.id,
            DEMO_PASSWORD,
            role=OTHER_STATION.role,
            unit=OTHER_STATION.unit,
            operator=demo.ADMIN,
            must_change_password=False,
        )
        tasks = {}
        for name, community in PLACES.items():
            publisher = OTHER_STATION if name == "nanguan" else demo.STATION_OFFICER
            tasks[name] = services.committer.call(
                services.loop.tasks.publish,
                publisher,
                kind="patrol",
                topic=f"{name}夜巡",
                place=name,
                community=community,
                starts_at=START,
                ends_at=START + timedelta(hours=2),
                needed=3,
            ).task_id
        services.committer.call(services.loop.tasks.sign_up, demo.RIDER, tasks["xingfu"])
        assert services.views.runner.wait_for(services.loop.app.recorder.max_notification_id(), 30)
        yield Matrix(client, services, tasks)


def knows(user: Actor, community: str) -> bool:
    """Whether ``user`` may know of a task of ``community`` (published by its station)."""
    if user.role == "volunteer":
        return units.within(user.unit, units.ancestor(community, "station"))
    return user.role != "admin" and units.within(community, user.unit)


def named_tasks(matrix: Matrix, text: str) -> set[str]:
    return {name for name, task in matrix.tasks.items() if re.search(task, text)}


def test_every_task_read_by_every_user_names_only_tasks_he_may_know(matrix: Matrix) -> None:
    for user in [*DEMO_USERS, OTHER_STATION]:
        allowed = {name for name, community in PLACES.items() if knows(user, community)}
        for name, task in matrix.tasks.items():
            answer = matrix.get(user, f"/api/tasks/{task}")
            where = f"{user.id} reads the task of {name}: {answer.status_code}"
            if name in allowed:
                assert answer.status_code == 200, where
                assert named_tasks(matrix, answer.text) <= allowed, where
            else:
                assert answer.status_code == 404, where
                assert answer.json()["code"] == "task_not_found", where
        listed = matrix.get(user, "/api/tasks")
        assert listed.status_code in (200, 403), (user.id, listed.text)
        assert named_tasks(matrix, listed.text) <= allowed, user.id
        pages = {"/tasks": None, "/calendar": None}
        pages |= {f"/tasks/{t}": name for name, t in matrix.tasks.items()}
        for page, asked in pages.items():
            shown = matrix.page(user, page)
            assert shown.status_code in (200, 303, 403, 404), (user.id, page)
            assert shown.status_code == 200 or asked not in allowed, (user.id, page)
            named = named_tasks(matrix, shown.text) - {asked}  # the id he sent himself
            assert named <= allowed, (user.id, page)


def test_a_volunteers_tasks_and_hours_are_his_and_his_communitys_staff(matrix: Matrix) -> None:
    for user in DEMO_USERS:
        answer = matrix.get(user, f"/api/volunteers/{demo.RIDER.id}/tasks")
        may = user.id == demo.RIDER.id or (
            user.role not in ("volunteer", "admin") and units.within(demo.XINGFU, user.unit)
        )
        # his records are not found by whoever may not read them (the administrator,
        # whose role reads no volunteer's records, is refused whatever the id)
        refused = 403 if user.role == "admin" else 404
        assert answer.status_code == (200 if may else refused), (user.id, answer.text)


def test_the_auditor_changes_nothing_on_tasks(matrix: Matrix) -> None:
    head = matrix.head()
    task = matrix.tasks["xingfu"]
    body = {"kind": "patrol", "topic": "t", "place": "p", "community": demo.XINGFU}
    body |= {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=1)).isoformat()}
    attempts = {
        "/api/tasks": {**body, "needed": 1},
        f"/api/tasks/{task}/revision": {"reason": "审计", "needed": 5},
        f"/api/tasks/{task}/cancellation": {"reason": "审计"},
        f"/api/tasks/{task}/sign-ups": {"volunteer_id": demo.COURIER.id},
        f"/api/tasks/{task}/withdrawal": {"volunteer_id": demo.RIDER.id},
        f"/api/tasks/{task}/reconfirmation": {"volunteer_id": demo.RIDER.id},
        f"/api/tasks/{task}/check-ins": {"volunteer_id": demo.RIDER.id},
        f"/api/tasks/{task}/check-outs": {"volunteer_id": demo.RIDER.id},
        f"/api/tasks/{task}/no-shows": {"volunteer_id": demo.RIDER.id},
        f"/api/tasks/{task}/completion": {},
        f"/api/tasks/{task}/signatures": None,
    }
    assert {p.replace(task, "{task_id}") for p in attempts} == TASK_COMMANDS
    for path, attempt in attempts.items():
        answer = matrix.post(AUDITOR, path, attempt)
        assert answer.status_code in (403, 409, 422), f"{path}: {answer.text[:300]}"
    assert matrix.head() == head
