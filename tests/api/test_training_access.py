"""Who may read and do what on training: every demo user against a session of the
county bureau, one of 朝阳 and one of another station (双阳). Staff read the
sessions held within their unit or for it; a volunteer those held for him;
anything else answers 404 and no answer names a session the reader may not know.
A volunteer's training record is his and his community's staff's. The auditor
changes nothing. ``tests/api/test_access_matrix.py`` counts these endpoints as
classified."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aggregates.actor import Actor
from api.app import create_app
from api.seed import DEMO_PASSWORD
from api.services import Services
from loop import demo
from loop.rules import permissions, units
from tests.api.conftest import Issued, service_settings
from tests.api.served import DEMO_USERS, SECRET, copy_database, register_shuangyang
from tests.support import CHINA, FakeClock

DAY = date(2026, 9, 2)
HOLDERS = {"county": demo.COUNTY, "chaoyang": demo.STATION, "shuangyang": "lishu/shuangyang"}
OTHER_STATION = Actor("s-sy-feng", "station_officer", "lishu/shuangyang")
AUDITOR = next(u for u in DEMO_USERS if u.role == "auditor")

TRAINING_READS = {
    "/api/training/sessions",
    "/api/training/shortfall",
    "/api/training/awaiting",
    "/api/volunteers/{volunteer_id}/training",
}
TRAINING_COMMANDS = {
    "/api/training/sessions",
    "/api/training/sessions/{session_id}/cancellation",
    "/api/training/sessions/{session_id}/attendance",
    "/api/training/sessions/{session_id}/corrections",
    "/api/volunteers/{volunteer_id}/exams",
    "/api/volunteers/{volunteer_id}/certification",
    "/api/volunteers/{volunteer_id}/training-suspension",
    "/api/volunteers/{volunteer_id}/training-suspension/lifting",
    "/api/training/gate",
}
TRAINING_PAGES = {"/training"}
TRAINING_FORMS = {
    "/training",
    "/training/attendance",
    "/training/exams",
    "/training/certification",
    "/training/suspension",
    "/training/suspension/lifting",
}


class Matrix(Issued):
    def __init__(self, client: TestClient, services: Services, sessions: dict[str, str]) -> None:
        super().__init__(client, services, [*DEMO_USERS, OTHER_STATION])
        self.sessions = sessions


@pytest.fixture(scope="module")
def matrix(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    database = copy_database(seeded, tmp_path_factory.mktemp("training-matrix"))
    app = create_app(service_settings(f"sqlite:///{database}", secret_key=SECRET))
    with TestClient(app) as client:
        services: Services = app.state.services
        services.loop.app.clock = FakeClock(datetime(2026, 9, 1, 9, 0, tzinfo=CHINA))
        register_shuangyang(services.loop.registry)
        services.accounts.create(
            OTHER_STATION.id,
            DEMO_PASSWORD,
            role=OTHER_STATION.role,
            unit=OTHER_STATION.unit,
            operator=demo.ADMIN,
            must_change_password=False,
        )
        sessions = {
            name: services.committer.call(
                services.loop.training.schedule,
                demo.COUNTY_OFFICER,
                unit=unit,
                kind="regular",
                topic=f"{name}培训",
                instructor="县公安局",
                day=DAY,
                credit="half",
                mode="in_person",
                place=name,
            ).session_id
            for name, unit in HOLDERS.items()
        }
        assert services.views.runner.wait_for(services.loop.app.recorder.max_notification_id(), 30)
        yield Matrix(client, services, sessions)


def knows(user: Actor, holder: str) -> bool:
    if user.role == "volunteer":
        return units.within(user.unit, holder)
    if user.role == "admin":
        return False
    return units.within(holder, user.unit) or units.within(user.unit, holder)


def named(matrix: Matrix, text: str) -> set[str]:
    return {name for name, session in matrix.sessions.items() if re.search(session, text)}


def test_every_session_read_by_every_user_names_only_sessions_he_may_know(
    matrix: Matrix,
) -> None:
    for user in [*DEMO_USERS, OTHER_STATION]:
        allowed = {name for name, holder in HOLDERS.items() if knows(user, holder)}
        listed = matrix.get(user, "/api/training/sessions", start=DAY.isoformat())
        assert listed.status_code in (200, 403), (user.id, listed.text)
        assert named(matrix, listed.text) == (allowed if listed.status_code == 200 else set())
        for name, session in matrix.sessions.items():
            before = matrix.head()
            answer = matrix.post(
                user, f"/api/training/sessions/{session}/attendance", {"volunteer_id": "nobody"}
            )
            assert matrix.head() == before
            if not permissions.may_ever("record_training", user):
                assert answer.status_code == 403, (user.id, name, answer.text)  # asked first
                assert answer.json()["code"] == "not_permitted"
            elif name not in allowed:
                assert answer.status_code == 404, (user.id, name, answer.text)
                assert answer.json()["code"] == "training_session_not_found"


def test_a_volunteers_training_record_is_his_and_his_communitys_staff(matrix: Matrix) -> None:
    for user in DEMO_USERS:
        answer = matrix.get(user, f"/api/volunteers/{demo.RIDER.id}/training")
        may = user.id == demo.RIDER.id or (
            user.role not in ("volunteer", "admin") and units.within(demo.XINGFU, user.unit)
        )
        refused = 403 if not permissions.may_ever("read_volunteer", user) else 404
        assert answer.status_code == (200 if may else refused), (user.id, answer.text)


def test_the_auditor_changes_nothing_in_training(matrix: Matrix) -> None:
    head = matrix.head()
    session = matrix.sessions["chaoyang"]
    attempts = {
        "/api/training/sessions": {
            "kind": "regular", "topic": "t", "instructor": "i", "day": DAY.isoformat(),
            "credit": "half", "mode": "video", "place": "p", "unit": demo.COUNTY,
        },
        f"/api/training/sessions/{session}/cancellation": {"reason": "审计"},
        f"/api/training/sessions/{session}/attendance": {"volunteer_id": demo.RIDER.id},
        f"/api/training/sessions/{session}/corrections": {
            "volunteer_id": demo.RIDER.id, "present": True, "reason": "审计",
        },
        f"/api/volunteers/{demo.RIDER.id}/exams": {"score": 90},
        f"/api/volunteers/{demo.RIDER.id}/certification": None,
        f"/api/volunteers/{demo.RIDER.id}/training-suspension": {"reason": "审计"},
        f"/api/volunteers/{demo.RIDER.id}/training-suspension/lifting": {"reason": "审计"},
        "/api/training/gate": None,
    }  # fmt: skip
    assert {
        p.replace(session, "{session_id}").replace(demo.RIDER.id, "{volunteer_id}")
        for p in attempts
    } == TRAINING_COMMANDS
    for path, attempt in attempts.items():
        answer = matrix.post(AUDITOR, path, attempt)
        assert answer.status_code in (403, 404, 409, 422), f"{path}: {answer.text[:300]}"
    assert matrix.head() == head
