"""The demo county's year (``loop.demo_year``, what ``make run`` seeds): made
through the services, it goes down every branch of the loop, leaves cases past
their due time, fills twelve months of statistics, the Happiness Bank's months,
honours and redemptions, duty tasks and training; its read models agree with a
rebuild and with the oracle's fold of the log; and it is the same year each time."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.config import ApiSettings
from api.seed import SEEDED_EVENTS, seed_events
from api.services import build_services
from loop import demo, demo_year
from loop.bootstrap import Loop, build_loop, open_loop
from loop.demo_year import extra_volunteers
from loop.rules.scoring import FUPING_SCORING, SCORING_PRESETS
from loop.rules.stages import STAGES
from loop.rules.steps import STEPS
from loop.settings import Settings
from projections import build
from projections.compose import Projections
from projections.exports import ExportQueries
from tests.oracle.compare import Comparison
from tests.oracle.fold import Deadlines, Fold
from tests.oracle.run import training_norms
from tests.projections.helpers import dump, projector_for
from tests.support import CHINA

END = datetime(2026, 12, 7, 9, 0, tzinfo=CHINA)
DRAWN_IDS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|person-[0-9a-f]{32}"
)
"""Record ids and the pseudonyms of residents (drawn at random where no fixed id is given)."""


class Year:
    def __init__(self, loop: Loop, views: Projections, made: demo_year.YearDemo) -> None:
        self.loop, self.views, self.made = loop, views, made
        deadlines = Deadlines(
            loop.incidents.policy.deadlines, loop.incidents.policy.urgent_deadlines
        )
        self.fold = Fold(
            loop.app.recorder, loop.app.mapper, deadlines, training_norms(loop.training.policy)
        )
        self.fold.read()
        self.events = decoded(loop)

    def of(self, name: str) -> list[Any]:
        """The year's events whose class is ``name`` (``Task.Published``), in order."""
        return [e for topic, e in self.events if topic.endswith((f":{name}", f".{name}"))]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """The year until ``END`` in an SQLite file, its read models caught up."""
    url = f"sqlite:///{tmp_path_factory.mktemp('year') / 'lishu.db'}"
    settings = Settings(database_url=url, read_model_url=None)
    loop = build_loop(settings)
    views = build(settings, loop.app, batch_size=500)
    with loop.app.one_transaction():
        made = demo_year.generate(loop, end=END)
    views.projector.catch_up()
    yield Year(loop, views, made)
    views.close()
    loop.close()


def test_the_year_goes_down_every_branch_of_the_loop(year: Year) -> None:
    assert year.made.refused == {}, "every command of the year was accepted"
    cases = list(year.fold.cases.values())
    assert len(cases) == year.made.incidents > 300
    held = {state["stage"] for c in cases for _, state in c.timeline if state}
    assert held | {"rejected", "closed"} >= set(STAGES), set(STAGES) - held
    taken = Counter(s.name for c in cases for s in c.steps)
    for step in ("Returned", "Diverted", "HandedOver", "FollowUpChased", "Publicized", "Closed"):
        assert taken[step] > 3, step
    sources = {s.facts["source"] for c in cases for s in c.steps if s.name == "OutcomeRecorded"}
    assert sources == {"handled_locally", "self_handled", "station", "county", "department"}
    escalated = [s.facts for c in cases for s in c.steps if s.name == "Escalated"]
    assert {f["to_tier"] for f in escalated} >= {"station", "county"}
    rejected = {s.facts["kind"] for c in cases for s in c.steps if s.name == "Rejected"}
    assert rejected == {"duplicate", "unfounded", "merged"}
    assert any(c.stage == "rejected" and c.first("Rewarded") for c in cases), "reward reversed"
    incidents = [year.loop.incidents.get(UUID(c.incident_id)) for c in cases]
    assert Counter(i.reported_by_resident for i in incidents)[True] > 20
    intake = Counter((i.intake or {}).get("source") for i in incidents if i.reported_by_resident)
    assert intake["open311"] > 5, "residents' reports through the intake, and their calls"
    assert sum(1 for i in incidents if i.reporter_id and i.urgency == "urgent") > 5
    assert len({c.community for c in cases}) == 2
    assert {c.module for c in cases} == set(demo_year.cases.REPORTS)
    recorded = {name for name, step in STEPS.items() if taken[step.event.__name__]}
    assert recorded == set(STEPS), set(STEPS) - recorded


def test_some_cases_are_past_their_due_time_at_the_end(year: Year) -> None:
    queries = year.views.queries
    summary = queries.backlog_summary(demo.COUNTY, now=END)
    assert summary["open"] > 5
    assert 0 < summary["overdue"] < summary["open"]


def test_twelve_months_of_statistics_in_every_community(year: Year) -> None:
    for unit in (demo.COUNTY, demo.XINGFU, demo.HEPING):
        months = year.views.queries.statistics(unit)["by_month"]
        assert len(months) >= 12, (unit, sorted(months))
        assert all(figures for figures in months.values())


def test_the_happiness_bank_has_its_months_honours_and_redemptions(year: Year) -> None:
    people = year.fold.people.values()
    entries = Counter(e["kind"] for p in people for e in p.entries)
    assert {"Deposited", "Redeemed", "Reversed"} <= set(entries)
    assert entries["Redeemed"] == year.made.redemptions > 30
    evaluated = year.of("MonthEvaluated")
    months = Counter(e.period for e in evaluated)
    assert len(months) >= 12
    assert all(n >= 17 for n in months.values()), "everyone serving is evaluated each month"
    assert any(not e.passed for e in evaluated)
    assert any(e.passed for e in evaluated)
    assert year.made.honours >= 6
    honoured = [e.period for e in year.of("HonourAwarded")]
    assert len(honoured) == year.made.honours >= 6
    assert len(set(honoured)) >= 3, "the keenest of each quarter"


def decoded(loop: Loop) -> list[tuple[str, Any]]:
    """Every stored event with its topic, in the log's order."""
    found = loop.app.recorder.select_notifications(start=1, limit=10**7)
    return [(n.topic, loop.app.mapper.to_domain_event(n)) for n in found]


def events_of(loop: Loop, name: str) -> list[Any]:
    """The stored events whose class is ``name`` (``Task.Published``), in order."""
    return [e for topic, e in decoded(loop) if topic.endswith((f":{name}", f".{name}"))]


def test_duty_tasks_are_worked_and_the_station_trains_and_examines(year: Year) -> None:
    def count(name: str) -> int:
        return len(year.of(name))

    assert count("Task.Published") == year.made.tasks > 90
    assert count("Task.Waitlisted") > 10, "more signed up than the places"
    assert count("Task.CheckedIn") > 150
    assert count("Task.CheckedOut") > 150
    assert count("Task.NoShowRecorded") > 3
    assert count("Task.Completed") > 80
    assert count("Task.Withdrew") > 5
    assert count("Task.Promoted") > 5, "the line moved up"
    signed = count("Task.PointsSigned")
    assert signed > 80 if year.loop.tasks.policy.cosigned else signed == 0
    assert count("TrainingSession.Scheduled") == year.made.sessions >= 12
    assert count("TrainingSession.AttendanceRecorded") > 100
    assert count("TrainingRecord.DayCredited") > 100
    exams = year.of("TrainingRecord.ExamRecorded")
    assert any(e.passed for e in exams)
    assert any(not e.passed for e in exams), "some need a retake"
    assert count("TrainingRecord.Certified") > 5, "newcomers certified for duty"
    assert count("Notice.Published") == year.made.notices >= 12
    assert count("NoticeAcknowledgement.Acknowledged") > 20


def test_the_read_models_equal_a_rebuild_and_the_oracle(year: Year, tmp_path: Path) -> None:
    incremental = dump(year.views.projector)
    head = year.loop.app.recorder.max_notification_id()
    fresh = projector_for(year.loop.incidents, f"sqlite:///{tmp_path / 'views.db'}", 1000)
    for name in sorted(fresh.projections):
        fresh.rebuild(name)
    assert set(fresh.positions().values()) == {head}
    assert dump(fresh) == incremental
    fresh.store.dispose()

    views = year.views
    comparison = Comparison(
        year.fold, views.queries, year.loop.incidents.scoring.stars,
        ExportQueries(views.projector), views.tasks,
    )  # fmt: skip
    rng = random.Random(7)
    moments = [END - timedelta(days=d) for d in (1, 45, 200, 360)]
    found = comparison.run(END, moments, every_case=True, rng=rng)
    assert not found, "\n".join(str(d) for d in found[:8])
    assert comparison.reads > 1_000


def canonical(loop: Loop) -> list[Any]:
    """Every stored event as plain values, each id replaced by the order it first
    appears in (ids the services draw at random are then alike too), without the
    random check-in secrets."""
    ids: dict[str, str] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, UUID):
            value = str(value)
        if isinstance(value, str):
            return DRAWN_IDS.sub(lambda m: ids.setdefault(m.group(), f"#{len(ids)}"), value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "checkin_key"}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if hasattr(value, "__dict__"):
            return plain(vars(value))
        return value

    found = loop.app.recorder.select_notifications(start=1, limit=10**7)
    return [(n.topic, plain(vars(loop.app.mapper.to_domain_event(n)))) for n in found]


def test_two_years_from_one_seed_are_the_same_events_and_another_seed_is_not() -> None:
    def made(seed: int, days: int = demo_year.DAYS) -> tuple[list[Any], Loop]:
        loop = open_loop(scoring=FUPING_SCORING)
        with loop.app.one_transaction():
            assert demo_year.generate(loop, end=END, seed=seed, days=days).refused == {}
        return canonical(loop), loop

    first, loop = made(demo_year.SEED)
    again, _ = made(demo_year.SEED)
    assert len(first) > 5_000
    assert first == again
    other, _ = made(demo_year.SEED + 1, days=60)  # differs from its first weeks on
    assert other != made(demo_year.SEED, days=60)[0]
    incident = events_of(loop, "Incident.Reported")[0]
    assert incident.originator_id == demo_year.timeline.Timeline.uuid("incident", 1)
    stars = [e.level for e in events_of(loop, "PointsAccount.StarLevelChanged")]
    assert max(stars) >= 2, "under a preset with stars, the keenest earn them"


def test_lishu_demo_year_fills_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lishu.db'}"
    result = CliRunner().invoke(app, ["demo", "--year", "--database-url", url])
    assert result.exit_code == 0, result.output
    said = re.search(r"警情 (\d+) 起", result.output)
    assert said is not None, result.output
    loop = build_loop(Settings(database_url=url))
    try:
        reported = events_of(loop, "Incident.Reported")
        assert len(reported) == int(said[1]) > 300
        first, last = reported[0].timestamp, reported[-1].timestamp
        assert timedelta(days=360) < last - first <= timedelta(days=365)
        assert datetime.now(CHINA) - last < timedelta(days=3), "the year ends now"
    finally:
        loop.close()


def test_first_start_in_year_mode_stores_the_year_with_its_marker(tmp_path: Path) -> None:
    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'lishu.db'}", demo=True,
                           demo_year=True)  # fmt: skip
    services = build_services(settings, start=False)
    reached: list[str] = []
    try:
        seed_events(services, reached.append)
        app_ = services.flow.app
        assert reached == ["events"]
        assert app_.kept_answers([SEEDED_EVENTS])
        assert len(events_of(services.loop, "Incident.Reported")) > 300
        for person, *_ in extra_volunteers():  # the log-ins made next are theirs
            assert services.loop.volunteers.get(person.id).status == "active"
    finally:
        services.close()


@pytest.mark.parametrize(
    ("end", "scoring"),
    [
        (datetime(2027, 1, 1, 0, 30, tzinfo=CHINA), "lishu"),
        (datetime(2026, 3, 1, 23, 59, tzinfo=CHINA), "fuping"),
        (datetime(2028, 2, 29, 12, 0, tzinfo=CHINA), "lishu"),
        # a week's sign-ups that ran past the task's start, its check-in after its end
        (datetime(2026, 12, 12, 10, 0, tzinfo=CHINA), "lishu"),
    ],
)
def test_a_year_ending_at_any_moment_is_made_without_a_refusal(end: datetime, scoring: str) -> None:
    """``make run`` ends the year at the moment it starts: any day, any hour."""
    loop = open_loop(scoring=SCORING_PRESETS[scoring])
    with loop.app.one_transaction():
        made = demo_year.generate(loop, end=end)
    assert made.refused == {}
    assert made.incidents > 400
    last = decoded(loop)[-1][1].timestamp
    assert end - timedelta(days=2) < last <= end
