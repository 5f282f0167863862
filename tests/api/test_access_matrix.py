"""Who may read and do what, endpoint by endpoint: every demo user against the
records of 幸福 and of 和平.

The endpoints are read from the application's own routes, so a new endpoint
fails :func:`test_every_endpoint_is_classified` until it is placed here. Reads
either succeed because the scope rules below allow them or are refused, and no
answer names an incident or a volunteer the reader may not see: a record outside
the reader's scope answers 404 exactly as an id of nothing does, a role that may
never read such records 403 whatever the id. Every loop step, sent by every user,
agrees with ``flow.allowed_steps``: allowed steps succeed, refused ones store
nothing and answer 403 or 409, or, on an incident the user may not read, 404
exactly as for an incident that does not exist (403 if his role never takes it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from aggregates.actor import Actor
from api.app import create_app
from api.seed import DEMO_PASSWORD, extra_volunteers
from api.services import Services
from loop import demo
from loop.rules import units
from loop.rules.policy import RULES
from loop.rules.stages import LOOP
from loop.rules.steps import STEPS
from tests.api import test_admin_accounts as admin_accounts
from tests.api import test_organisation_over_http as organisation
from tests.api import test_roll_import_over_http as roll_import
from tests.api import test_talk_access as talk_access
from tests.api import test_task_access as task_access
from tests.api import test_training_access as training_access
from tests.api.conftest import service_settings
from tests.api.served import DEMO_USERS, SECRET, copy_database
from tests.builders import valid_input

XINGFU, HEPING = demo.XINGFU, demo.HEPING
COMMUNITIES = (XINGFU, HEPING)
AUDITOR = next(u for u in DEMO_USERS if u.role == "auditor")


# -- the scope rules, stated for the test ----------------------------------------------


def reads_unit(user: Actor, unit: str) -> bool:
    """Staff read their own unit and every unit below it; volunteers and the
    administrator read no unit's figures."""
    return user.role not in ("volunteer", "admin") and units.within(unit, user.unit)


def reads_incident(user: Actor, community: str, reporter_id: str) -> bool:
    if user.role == "volunteer":
        return user.id == reporter_id
    return reads_unit(user, community)


def reads_volunteer(user: Actor, volunteer_id: str, community: str) -> bool:
    if user.role == "volunteer":
        return user.id == volunteer_id
    return reads_unit(user, community)


def reads_records(user: Actor) -> bool:
    """Whether the user's role reads any incident, volunteer or account at all: a
    volunteer his own, staff those of their units; the administrator none."""
    return user.role != "admin"


def ever_takes(user: Actor, step: str) -> bool:
    """Whether the policy lets the user's role take ``step`` anywhere, at any stage."""
    return any(user.role in rule.roles for rule in RULES if rule.step == step)


# -- the world the matrix reads: the demo plus one incident in every stage ---------------


@dataclass(frozen=True)
class People:
    volunteer: Actor
    officer: Actor
    cadre: Actor
    director: Actor


PEOPLE = {
    XINGFU: People(demo.RIDER, demo.OFFICER_XF, demo.CADRE_XF, demo.DIRECTOR_XF),
    HEPING: People(demo.TAXI, demo.OFFICER_HP, demo.CADRE_HP, demo.DIRECTOR_HP),
}
WHAT = {"module": "hazard_screening", "sense": "seen", "what": "井盖缺失", "where": "小区北门"}
Make = Callable[[Services, People, UUID | None], Any]


def _call(services: Services, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return services.committer.call(fn, *args, **kwargs)


def _flow_step(step: str, who: str | Actor, **kwargs: Any) -> Make:
    def make(s: Services, people: People, incident: UUID | None) -> Any:
        actor = getattr(people, who) if isinstance(who, str) else who
        return _call(s, s.flow.take, step, actor, incident, **kwargs)

    return make


def _new(method: str, **kwargs: Any) -> Make:
    def make(s: Services, people: People, _incident: UUID | None) -> Any:
        return _call(s, getattr(s.flow, method), people.volunteer, **WHAT, **kwargs)

    return make


# template -> (the template it starts from, the command taking it one step on)
RECIPES: dict[str, tuple[str | None, Make]] = {
    "discovered": (None, _new("discover")),
    "reported": (None, _new("report_new", channel="app")),
    "reported_self_handled": (None, _new("report_new", channel="app", self_handled_note="已劝离")),
    "handling_community": ("reported", _flow_step("accept", "officer")),
    "escalated_to_station": ("reported", _flow_step("escalate", "officer", reason="需派出所")),
    "handling_station": ("escalated_to_station", _flow_step("accept", demo.STATION_OFFICER)),
    "escalated_to_county": (
        "handling_station",
        _flow_step("escalate", demo.STATION_OFFICER, reason="需县局"),
    ),
    "handling_county": ("escalated_to_county", _flow_step("accept", demo.COUNTY_OFFICER)),
    "diverted": ("reported", _flow_step("divert", "officer", reason="属物业")),
    "handed_over": (
        "diverted",
        _flow_step("hand_over", "cadre", department="县住建局", received_by="刘科长"),
    ),
    "outcome_recorded": (
        "handling_community",
        _flow_step("record_outcome", "officer", summary="好"),
    ),
    "score_proposed": (
        "outcome_recorded",
        _flow_step("propose_score", "cadre", items=[{"item": "隐患", "points": 1}], basis="及时"),
    ),
    "score_signed_by_director": ("score_proposed", _flow_step("sign_score", "director")),
    "scored": ("score_signed_by_director", _flow_step("sign_score", "officer")),
    "rewarded": ("scored", _flow_step("reward", "officer")),
    "publicized": (
        "rewarded",
        _flow_step("publicize", demo.PUBLICITY, title="井盖隐患", redaction_note="已核对"),
    ),
    "closed": ("rewarded", _flow_step("close", "officer")),
    "rejected": ("reported", _flow_step("reject", "officer", kind="unfounded", reason="查无")),
}


def build(services: Services, community: str, template: str) -> UUID:
    """A new incident of ``community`` in the ``template``'s stage."""
    chain = []
    name: str | None = template
    while name is not None:
        chain.append(name)
        name = RECIPES[name][0]
    incident: UUID | None = None
    for name in reversed(chain):
        ack = RECIPES[name][1](services, PEOPLE[community], incident)
        incident = UUID(ack.incident_id)
    assert incident is not None
    return incident


@dataclass
class World:
    client: TestClient
    services: Services
    templates: dict[tuple[str, str], UUID]
    tokens: dict[str, str]
    notices: dict[str, str]
    """A station's notice to everyone of each community."""
    requests: int = 0

    def headers(self, user: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def get(self, user: Actor, path: str, params: dict[str, Any] | None = None) -> Any:
        self.requests += 1
        return self.client.get(path, params=params, headers=self.headers(user))

    def post(self, user: Actor, path: str, body: Any = None) -> Any:
        self.requests += 1
        return self.client.post(path, json=body, headers=self.headers(user))

    def head(self) -> int | None:
        return self.services.flow.app.recorder.max_notification_id()

    def caught_up(self) -> None:
        head = self.head()
        assert self.services.views.runner.wait_for(head, 30)


@pytest.fixture(scope="module")
def world(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    database = copy_database(seeded, tmp_path_factory.mktemp("matrix"))
    app = create_app(service_settings(f"sqlite:///{database}", secret_key=SECRET))
    with TestClient(app) as client:
        services: Services = app.state.services
        templates = {
            (community, name): build(services, community, name)
            for community in COMMUNITIES
            for name in RECIPES
        }
        notices = {
            community: services.committer.call(
                services.notices.publish,
                demo.STATION_OFFICER,
                title="巡逻安排",
                body="本周夜间加强巡逻。",
                audience={"units": [community]},
                requires_ack=True,
            ).notice_id
            for community in COMMUNITIES
        }
        # tokens as the service issues them at log-in (log-in itself is tested elsewhere)
        tokens = {u.id: services.tokens.issue(u.id)[0] for u in DEMO_USERS}
        world = World(client, services, templates, tokens, notices)
        world.caught_up()
        yield world
        print(f"\naccess matrix: {world.requests} requests")


# -- every endpoint is classified --------------------------------------------------------

PUBLIC = {"/openapi.json", "/docs", "/healthz"}
LOG_IN = {"/api/auth/login", "/api/auth/token"}
OWN_SESSION = {"/api/auth/logout", "/api/auth/password"}
"""Each user's own session and password (tests/api/test_sessions.py)."""
OWN_READING = {"/api/inbox/read"}
"""POSTs that change nothing but the caller's own read marks."""
GEOREPORT_READS = {
    "/open311/discovery.{fmt}",
    "/open311/v2/services.{fmt}",
    "/open311/v2/services/{code}.{fmt}",
    "/open311/v2/requests.{fmt}",
    "/open311/v2/requests/{request_id}.{fmt}",
    "/open311/v2/servicerequestupdates.{fmt}",
    "/public/report",
    "/public/status/{token}",
    "/public/join",
    "/public/join/done",
}
GEOREPORT_POSTS = {"/open311/v2/requests.{fmt}", "/public/report", "/public/join"}
"""The Open311 facade (no log-in, an api key per client app: tests/api/test_open311.py),
the public report form with its status page (tests/api/test_public_report.py) and
the public self-registration form (tests/api/test_self_registration.py)."""


def endpoints() -> set[tuple[str, str]]:
    """(method, path) of every route the application serves."""
    app = create_app(service_settings("memory://", secret_key=SECRET))
    return {
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_every_endpoint_is_classified() -> None:
    steps = {("POST", f"/api/incidents/{{incident_id}}/{s.path}") for s in STEPS.values()}
    reads = {("GET", path) for path in [*PUBLIC, *READS, *CONSOLE_PAGES, *GEOREPORT_READS]}
    commands = {
        ("POST", path) for path in [*LOG_IN, *OWN_SESSION, *COMMANDS, *CONSOLE_FORMS, *OWN_READING]
    } | {("POST", path) for path in GEOREPORT_POSTS}
    # duty tasks: classified, and their own matrix, in tests/api/test_task_access.py
    reads |= {("GET", path) for path in [*task_access.TASK_READS, *task_access.TASK_PAGES]}
    commands |= {("POST", path) for path in [*task_access.TASK_COMMANDS, *task_access.TASK_FORMS]}
    # training: classified, and its own matrix, in tests/api/test_training_access.py
    training = training_access
    reads |= {("GET", path) for path in [*training.TRAINING_READS, *training.TRAINING_PAGES]}
    commands |= {("POST", p) for p in [*training.TRAINING_COMMANDS, *training.TRAINING_FORMS]}
    # the organisation: classified, and its own matrix, in test_organisation_over_http.py
    reads |= {("GET", path) for path in organisation.ORGANISATION_READS}
    commands |= {("POST", path) for path in organisation.ORGANISATION_COMMANDS}
    reads |= {("GET", path) for path in admin_accounts.ADMIN_READS}
    commands |= {("POST", path) for path in admin_accounts.ADMIN_COMMANDS}
    reads |= {("GET", path) for path in admin_accounts.ADMIN_PAGES}
    commands |= {("POST", path) for path in admin_accounts.ADMIN_FORMS}
    commands |= {("POST", path) for path in roll_import.ADMIN_UPLOADS}
    # talk orders: classified, and their own matrix, in tests/api/test_talk_access.py
    reads |= {("GET", path) for path in [*talk_access.TALK_READS, *talk_access.TALK_PAGES]}
    commands |= {("POST", path) for path in [*talk_access.TALK_COMMANDS, *talk_access.TALK_FORMS]}
    served = endpoints()
    assert served - (steps | reads | commands) == set(), "classify the new endpoints here"
    assert (steps | reads | commands) - served == set(), "these endpoints are gone"


# -- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """How to read a record of a community, and who may."""

    params: Callable[[str], dict[str, Any]]
    may: Callable[[Actor, str], bool]
    """Whether ``user`` may read the record of ``community``."""
    hidden: Callable[[Actor], bool] | None = None
    """For a record (not a unit's lists): whether, refused, the user is told it is
    not found (his role reads such records, this one is outside his scope)."""


def _incident(world: World, community: str) -> str:
    return str(world.templates[community, "reported"])


def _volunteer(community: str) -> str:
    return PEOPLE[community].volunteer.id


def _no_params(_community: str) -> dict[str, Any]:
    return {}


def _unit(community: str) -> dict[str, Any]:
    return {"unit": community}


def _anyone(_user: Actor, _community: str) -> bool:
    return True


def _incident_reader(user: Actor, community: str) -> bool:
    return reads_incident(user, community, _volunteer(community))


def _volunteer_reader(user: Actor, community: str) -> bool:
    return reads_volunteer(user, _volunteer(community), community)


def _auditor_of(user: Actor, community: str) -> bool:
    return user.role == "auditor" and units.within(community, user.unit)


def _notice_reader(user: Actor, community: str) -> bool:
    """A station's notice to a community: its audience (everyone there but auditors
    and administrators), and staff at or above the station."""
    audience = units.within(user.unit, community) and user.role not in ("auditor", "admin")
    return audience or reads_unit(user, demo.STATION)


def _own_leaderboard(user: Actor, community: str) -> bool:
    return reads_unit(user, community) or (user.role == "volunteer" and user.unit == community)


def _own_boards(user: Actor, community: str) -> bool:
    """The publicity boards: staff those of their units, a volunteer those of his
    community, station and county."""
    return reads_unit(user, community) or (
        user.role == "volunteer" and units.within(user.unit, community)
    )


def _volunteers_too(user: Actor, community: str) -> bool:
    """Lists a volunteer reads whatever unit he names: his own reports, his own
    Happiness Bank's goods."""
    return user.role == "volunteer" or reads_unit(user, community)


READS: dict[str, Read] = {
    "/api/me": Read(_no_params, _anyone),
    "/api/policy": Read(_no_params, _anyone),
    "/api/policy/diagram": Read(_no_params, _anyone),
    "/api/incidents": Read(_unit, _volunteers_too),
    "/api/incidents/{incident_id}": Read(_no_params, _incident_reader, reads_records),
    "/api/incidents/{incident_id}/history": Read(_no_params, _incident_reader, reads_records),
    "/api/incidents/{incident_id}/state": Read(
        lambda _c: {"version": 1}, _incident_reader, reads_records
    ),
    "/api/volunteers": Read(_unit, reads_unit),
    "/api/volunteers/{volunteer_id}": Read(_no_params, _volunteer_reader, reads_records),
    "/api/volunteers/{volunteer_id}/history": Read(_no_params, _volunteer_reader, reads_records),
    "/api/accounts/{volunteer_id}": Read(_no_params, _volunteer_reader, reads_records),
    "/api/accounts/{volunteer_id}/history": Read(_no_params, _volunteer_reader, reads_records),
    "/api/catalogue": Read(_unit, _volunteers_too),
    "/api/backlog": Read(_unit, reads_unit),
    "/api/backlog/summary": Read(_unit, reads_unit),
    "/api/backlog/as-of": Read(
        lambda c: {"unit": c, "moment": datetime.now(UTC).isoformat()}, reads_unit
    ),
    "/api/publicity": Read(_unit, _own_boards),
    "/api/statistics": Read(_unit, reads_unit),
    "/api/leaderboard": Read(_unit, _own_leaderboard),
    "/api/audit/verify": Read(_no_params, lambda u, _c: u.role == "auditor"),
    "/api/audit/records/{record_id}/history": Read(
        _no_params, _auditor_of, lambda u: u.role == "auditor"
    ),
    "/api/inbox": Read(_no_params, _anyone),
    "/api/inbox/unread": Read(_no_params, _anyone),
    "/api/notices": Read(_unit, reads_unit),
    "/api/notices/{notice_id}": Read(_no_params, _notice_reader, lambda _u: True),
    "/api/notifications/told": Read(_unit, _auditor_of),
    "/api/exports/incidents": Read(_unit, reads_unit),
    "/api/exports/backlog": Read(_unit, reads_unit),
    "/api/exports/volunteers": Read(_unit, reads_unit),
    "/api/exports/roll": Read(_unit, reads_unit),
    "/api/exports/ledger": Read(_unit, reads_unit),
    "/api/exports/attendance": Read(_unit, reads_unit),
    "/api/exports/training-shortfall": Read(_unit, reads_unit),
    "/api/exports/training-awaiting": Read(_unit, reads_unit),
    "/api/exports/records": Read(_unit, _auditor_of),
    "/api/exports/report": Read(lambda c: {"unit": c, "period": "2026"}, reads_unit),
}


def concrete(world: World, template: str, community: str) -> str:
    return (
        template.replace("{incident_id}", _incident(world, community))
        .replace("{record_id}", _incident(world, community))
        .replace("{volunteer_id}", _volunteer(community))
        .replace("{notice_id}", world.notices[community])
    )


NOBODY = "v-nobody-here"


def of_nothing(template: str) -> tuple[str, str]:
    """The template with an id of nothing for its record, and that id."""
    absent = str(uuid4()) if "{volunteer_id}" not in template else NOBODY
    for name in ("{incident_id}", "{record_id}", "{volunteer_id}", "{notice_id}"):
        template = template.replace(name, absent)
    return template, absent


def as_if_absent(world: World, user: Actor, template: str, asked: str, answer: Any) -> None:
    """``answer`` (for a record the user may not read, id ``asked``) is exactly the
    answer for an id of nothing, that id aside."""
    url, absent = of_nothing(template)
    nothing = world.get(user, url, READS[template].params(XINGFU))
    assert nothing.status_code == 404, nothing.text
    assert answer.status_code == 404, answer.text
    assert answer.json() == json.loads(nothing.text.replace(absent, asked))


@dataclass(frozen=True)
class Known:
    incidents: dict[str, tuple[str, str]]
    """incident id -> (community, reporter)"""
    volunteers: dict[str, str]
    """volunteer id -> community"""
    publicized: set[str]


@pytest.fixture(scope="module")
def known(world: World) -> Known:
    rows = world.services.views.queries.cases("lishu", limit=500)
    assert len(rows) < 500
    volunteers = {person.id: person.unit for person, _, _ in extra_volunteers()}
    volunteers |= {a.id: a.unit for a in DEMO_USERS if a.role == "volunteer"}
    volunteers[demo.APPLICANT_WITH_RECORD.id] = demo.APPLICANT_WITH_RECORD.unit
    return Known(
        incidents={r["incident_id"]: (r["community"], r["reporter_id"]) for r in rows},
        volunteers=volunteers,
        publicized={r["incident_id"] for r in rows if r["publicized_at"]},
    )


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, each in value.items():
            yield str(key)
            yield from strings(each)
    elif isinstance(value, list):
        for each in value:
            yield from strings(each)


def leaks(user: Actor, path: str, body: Any, known: Known) -> list[str]:
    """The incidents and volunteers ``body`` names that ``user`` may not see."""
    found = []
    for text in set(strings(body)):
        if text in known.incidents:
            community, reporter = known.incidents[text]
            public = path == "/api/publicity" and text in known.publicized
            if not public and not reads_incident(user, community, reporter):
                found.append(f"incident {text} of {community}")
        if text in known.volunteers:
            community = known.volunteers[text]
            board = path == "/api/leaderboard" and community == user.unit
            if user.role == "volunteer":
                seen = text == user.id or board
            else:
                seen = reads_unit(user, community)
            if not seen:
                found.append(f"volunteer {text} of {community}")
    return found


def listed_rows_belong(user: Actor, path: str, community: str, body: Any, known: Known) -> None:
    """A list holds only rows of what was asked for: the unit, or the volunteer's own."""
    if path not in ("/api/incidents", "/api/backlog", "/api/catalogue", "/api/volunteers"):
        return
    for row in body["items"]:
        if path == "/api/incidents" and user.role == "volunteer":
            assert known.incidents[row["incident_id"]][1] == user.id, row
        elif path == "/api/catalogue":  # a community's goods and its station's
            place = user.unit if user.role == "volunteer" else community
            assert row["bank"] in (place, units.ancestor(place, "station")), row
        else:
            assert units.within(row["community"], community), row


@pytest.mark.parametrize("path", sorted(READS))
def test_every_read_by_every_user_on_both_communities(
    world: World, known: Known, path: str
) -> None:
    read = READS[path]
    for user in DEMO_USERS:
        for community in COMMUNITIES:
            answer = world.get(user, concrete(world, path, community), read.params(community))
            where = f"{user.id} GET {path} of {community}: {answer.status_code} {answer.text[:300]}"
            if read.may(user, community):
                assert answer.status_code == 200, where
                if answer.headers["content-type"].startswith("application/json"):
                    body = answer.json()
                    assert leaks(user, path, body, known) == [], where
                    listed_rows_belong(user, path, community, body, known)
            elif read.hidden is not None and read.hidden(user):
                if "{volunteer_id}" in path:
                    asked = _volunteer(community)
                elif "{notice_id}" in path:
                    asked = world.notices[community]
                else:
                    asked = _incident(world, community)
                as_if_absent(world, user, path, asked, answer)
            else:
                assert answer.status_code == 403, where
                assert answer.json()["code"] == "not_permitted", where


def test_public_pages_need_no_log_in(world: World) -> None:
    for path in sorted(PUBLIC):
        assert world.client.get(path).status_code == 200, path


def test_a_volunteer_reads_the_county_publicity_board_with_reporters_hidden(
    world: World, known: Known
) -> None:
    for user in [u for u in DEMO_USERS if u.role == "volunteer"]:
        answer = world.get(user, "/api/publicity")
        assert answer.status_code == 200, answer.text
        rows = answer.json()["items"]
        assert {r["community"] for r in rows} == set(COMMUNITIES)
        assert leaks(user, "/api/publicity", rows, known) == []


def test_incident_lists_never_show_another_communitys_incidents(world: World, known: Known) -> None:
    """The heping officer's incidents, backlog and board hold nothing of 幸福, by
    whatever filter he asks for."""
    officer = PEOPLE[HEPING].officer
    for path in ("/api/incidents", "/api/backlog", "/api/publicity"):
        for params in ({}, {"stage": "reported"}, {"limit": 500}):
            answer = world.get(officer, path, params if path != "/api/publicity" else {})
            assert answer.status_code == 200, answer.text
            communities = {known.incidents[row["incident_id"]][0] for row in answer.json()["items"]}
            assert communities == {HEPING}, (path, params)


# -- loop steps ------------------------------------------------------------------------

INCIDENT_DETAILS = {"stage", "legal_steps", "current_version", "unmet", "step"}
"""What a refusal may say about an incident: only to someone who may read it."""


def send(world: World, user: Actor, incident: UUID, step: str) -> Any:
    path = f"/api/incidents/{incident}/{STEPS[step].path}"
    return world.post(user, path, valid_input(step, user) or None)


def steps_to_try(world: World, incident: UUID) -> list[str]:
    """The steps the loop declares from the incident's stage; every step on a
    rejected incident, from which none is legal."""
    stage = world.services.flow.get(incident).stage
    return LOOP.legal_steps(stage) if stage != "rejected" else list(STEPS)


@pytest.mark.parametrize("template", list(RECIPES))
def test_every_step_by_every_user_agrees_with_allowed_steps(world: World, template: str) -> None:
    flow = world.services.flow
    tried = allowed_seen = 0
    for community in COMMUNITIES:
        incident = world.templates[community, template]
        version = flow.get(incident).version
        for user in DEMO_USERS:
            allowed = flow.allowed_steps(user, incident)
            for step in steps_to_try(world, incident):
                tried += 1
                if step in allowed:
                    allowed_seen += 1
                    fresh = build(world.services, community, template)
                    assert step in flow.allowed_steps(user, fresh)
                    before = flow.get(fresh).version
                    answer = send(world, user, fresh, step)
                    where = f"{user.id} {step} on {template} of {community}: {answer.text[:300]}"
                    assert answer.status_code == 200, where
                    assert answer.json()["version"] == before + 1, where
                    assert flow.get(fresh).version == before + 1, where
                    continue
                head = world.head()
                answer = send(world, user, incident, step)
                where = f"{user.id} {step} on {template} of {community}: {answer.text[:300]}"
                assert world.head() == head, f"a refused step stored something: {where}"
                body = answer.json()
                if not ever_takes(user, step):  # refused whatever the incident, unread
                    assert answer.status_code == 403, where
                    assert INCIDENT_DETAILS.isdisjoint(body["details"]), where
                elif not reads_incident(user, community, PEOPLE[community].volunteer.id):
                    path = f"/api/incidents/{{incident_id}}/{STEPS[step].path}"
                    nothing = send(world, user, uuid4(), step)
                    assert nothing.status_code == 404, nothing.text
                    assert answer.status_code == 404, where
                    absent = nothing.json()["details"]["incident_id"]
                    assert body == json.loads(nothing.text.replace(absent, str(incident))), path
                else:
                    assert answer.status_code in (403, 409), where
                    assert (answer.status_code == 403) == (body["code"] == "not_permitted"), where
        assert flow.get(incident).version == version
    assert tried > 0
    if template != "rejected":
        assert allowed_seen > 0, f"nobody may take any step from {template}"


def test_the_allowed_steps_shown_are_the_flows(world: World) -> None:
    flow = world.services.flow
    for (community, template), incident in world.templates.items():
        for user in DEMO_USERS:
            if not reads_incident(user, community, PEOPLE[community].volunteer.id):
                continue
            view = world.get(user, f"/api/incidents/{incident}")
            assert view.status_code == 200, view.text
            assert view.json()["allowed_steps"] == flow.allowed_steps(user, incident), (
                user.id,
                template,
            )


# -- the auditor changes nothing ---------------------------------------------------------


def _item(world: World) -> str:
    items = world.services.views.queries.catalogue(XINGFU)
    return str(items[0]["item_id"])


ITEM = "{item_id}"
NOTICE = "{notice_id}"
APPLICATION = {
    "volunteer_id": "v-xf-audit-test",
    "name": "审计测试",
    "phone": "13900000000",
    "id_number": demo.sample_id_number(99),
    "address": "幸福社区1栋",
    "employer": "梨树县百货大楼",
    "occupation": "courier",
}
APPLICANT = demo.APPLICANT_WITH_RECORD.id
COMMANDS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "/api/incidents": ("/api/incidents", {**WHAT, "channel": "app"}),
    "/api/incidents/discoveries": ("/api/incidents/discoveries", dict(WHAT)),
    "/api/volunteers": ("/api/volunteers", APPLICATION),
    "/api/volunteers/{volunteer_id}/reviews": (
        f"/api/volunteers/{APPLICANT}/reviews",
        {"reviewer": "community", "approved": True, "note": "复核"},
    ),
    "/api/volunteers/{volunteer_id}/admission": (f"/api/volunteers/{APPLICANT}/admission", None),
    "/api/volunteers/{volunteer_id}/teams": ("/api/volunteers/v-xf-chen/teams", {"team": "rescue"}),
    "/api/volunteers/{volunteer_id}/status": (
        "/api/volunteers/v-xf-chen/status",
        {"status": "suspended", "reason": "审计"},
    ),
    "/api/accounts/{volunteer_id}/redemptions": (
        "/api/accounts/v-xf-liu/redemptions",
        {"item_id": ITEM, "quantity": 1},
    ),
    "/api/accounts/{volunteer_id}/deductions": (
        "/api/accounts/v-xf-liu/deductions",
        {"reason": "审计", "points": 1},
    ),
    "/api/accounts/{volunteer_id}/evaluations": (
        "/api/accounts/v-xf-liu/evaluations",
        {"month": "2026-06", "passed": True, "note": "合格"},
    ),
    "/api/accounts/{volunteer_id}/honours": (
        "/api/accounts/v-xf-liu/honours",
        {"honour": "volunteer_star", "period": "2026-06", "reason": "表现突出"},
    ),
    "/api/catalogue": (
        "/api/catalogue",
        {"name": "雨伞", "donor": "梨树县百货大楼", "stock": 5, "price": 10},
    ),
    "/api/catalogue/{item_id}/restock": (
        f"/api/catalogue/{ITEM}/restock",
        {"quantity": 1, "donor": "梨树县百货大楼"},
    ),
    "/api/notices": ("/api/notices", {"title": "巡逻安排", "body": "本周夜间加强巡逻。"}),
    "/api/notices/{notice_id}/revision": (
        f"/api/notices/{NOTICE}/revision",
        {
            "title": "巡逻安排",
            "body": "改期。",
            "priority": "normal",
            "valid_until": "2099-01-01T00:00:00+08:00",
        },
    ),
    "/api/notices/{notice_id}/revocation": (
        f"/api/notices/{NOTICE}/revocation",
        {"reason": "审计"},
    ),
    "/api/notices/{notice_id}/acknowledgement": (f"/api/notices/{NOTICE}/acknowledgement", None),
    "/api/open311/clients": (
        "/api/open311/clients",
        {"client_id": "suishoupai", "name": "梨树随手拍", "jurisdiction": "lishu"},
    ),
    "/api/open311/clients/{client_id}/revoke": (
        "/api/open311/clients/suishoupai/revoke",
        {"reason": "审计"},
    ),
}
"""Every command other than the loop's steps and log-in, with a valid request."""


def test_the_auditor_changes_nothing(world: World) -> None:
    head = world.head()
    answers = {}
    item = _item(world)
    for path, (url, body) in COMMANDS.items():
        filled = {k: item if v == ITEM else v for k, v in body.items()} if body else body
        notice = world.notices[XINGFU]
        answers[path] = world.post(AUDITOR, url.replace(ITEM, item).replace(NOTICE, notice), filled)
    for (community, template), incident in world.templates.items():
        for step in steps_to_try(world, incident):
            answers[f"{step} on {template} of {community}"] = send(world, AUDITOR, incident, step)
    for what, answer in answers.items():
        assert answer.status_code in (403, 409, 422), f"{what}: {answer.text[:300]}"
    for path in LOG_IN:
        form = {"username": AUDITOR.id, "password": DEMO_PASSWORD}
        kwargs: dict[str, Any] = {"json": form} if path.endswith("login") else {"data": form}
        assert world.client.post(path, **kwargs).status_code == 200
    assert world.head() == head


# -- the console's pages ----------------------------------------------------------------

CONSOLE_PAGES: dict[str, Callable[[str], dict[str, Any]]] = {
    "/": _no_params,
    "/login": _no_params,
    "/board": _unit,
    "/incidents": _unit,
    "/incidents/{incident_id}": _no_params,
    "/me": _no_params,
    "/report": _no_params,
    "/audit": _no_params,
    "/audit/incidents/{incident_id}": _no_params,
    "/audit/backlog": lambda c: {"unit": c, "moment": datetime.now(UTC).isoformat()},
    "/audit/told": _unit,
    "/stats": _unit,
    "/password": _no_params,
    "/inbox": _no_params,
    "/notices": _no_params,
    "/notices/{notice_id}": _no_params,
    "/exports/incidents": _unit,
    "/exports/backlog": _unit,
    "/exports/volunteers": _unit,
    "/exports/ledger": _unit,
    "/exports/report": _unit,
    "/exports/attendance": _unit,
    "/exports/training-shortfall": _unit,
    "/exports/training-awaiting": _unit,
    "/stats/report": _unit,
}
"""The console's pages (HTML, a session cookie holding the API's token), read
with the community whose records they show."""
CONSOLE_FORMS = {
    "/login",
    "/logout",
    "/incidents/{incident_id}/steps/{step}",
    "/me/redemptions",
    "/report",
    "/password",
    "/inbox/read",
    "/notices",
    "/notices/{notice_id}/acknowledgement",
    "/notices/{notice_id}/revocation",
}
BOARDS = {"/stats", "/me"}
"""Console pages that show a community's leaderboard, as ``/api/leaderboard`` does."""


def console_get(world: World, user: Actor | None, path: str, params: dict[str, Any]) -> Any:
    world.requests += 1
    cookie = {"Cookie": f"lishu_session={world.tokens[user.id]}"} if user else {}
    return world.client.get(path, params=params, headers=cookie, follow_redirects=False)


def test_console_pages_without_a_session_send_to_the_log_in(world: World) -> None:
    head = world.head()
    for path, params in CONSOLE_PAGES.items():
        if path == "/login":
            continue
        answer = console_get(world, None, concrete(world, path, XINGFU), params(XINGFU))
        assert answer.status_code == 303, (path, answer.status_code)
        assert answer.headers["location"].startswith("/login"), path
    incident = _incident(world, XINGFU)
    for path in sorted(CONSOLE_FORMS - {"/login"}):
        url = path.replace("{incident_id}", incident).replace("{step}", "accept")
        answer = world.client.post(url, data={"reason": "x"}, follow_redirects=False)
        assert answer.status_code in (303, 403), (path, answer.status_code)
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/login"), path
    assert world.head() == head


@pytest.mark.parametrize("path", sorted(CONSOLE_PAGES))
def test_console_pages_by_every_user_show_nothing_out_of_scope(
    world: World, known: Known, path: str
) -> None:
    """Every page answers (a page, a redirect or a refusal, never a server error)
    and names no incident or volunteer the user may not read through the API."""
    as_api = "/api/leaderboard" if path in BOARDS else path
    for user in DEMO_USERS:
        for community in COMMUNITIES:
            url = concrete(world, path, community)
            answer = console_get(world, user, url, CONSOLE_PAGES[path](community))
            where = f"{user.id} GET {url} of {community}: {answer.status_code}"
            assert answer.status_code in (200, 303, 403, 404), where
            asked = {_incident(world, community)}  # the id the user sent himself
            named = set(re.findall(UUID_TEXT, answer.text)) - asked
            if path != "/login":  # which lists the demo's log-ins, where the demo is seeded
                named |= {v for v in known.volunteers if re.search(rf"\b{v}\b", answer.text)}
            assert leaks(user, as_api, sorted(named), known) == [], where
            if path == "/notices/{notice_id}":
                assert (answer.status_code == 200) == _notice_reader(user, community), where
            if "{incident_id}" in path:
                readable = _incident_reader(user, community)
                if path.startswith("/audit"):
                    readable = _auditor_of(user, community)
                assert (answer.status_code == 200) == readable, where


UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
