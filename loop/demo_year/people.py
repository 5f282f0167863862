"""The year demo's people: today's demo volunteers from the first day, and two
dozen more who join through the year (application, the three reviews, admission),
each with the activity that decides how often he reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from aggregates.actor import Actor
from aggregates.volunteer import OCCUPATIONS
from loop import demo
from loop.demo_year.timeline import Script, Timeline
from loop.services.incidents import IncidentFlow
from loop.services.volunteers import Volunteers

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华"
EXTRA_VOLUNTEERS = 24
FIRST_DAY_EXTRAS = 12
"""Extra volunteers serving from the first day; the rest join one by one."""


def extra_volunteers() -> list[tuple[Actor, str, str]]:
    """Two dozen more volunteers, every occupation in each community: ``(actor,
    name, occupation)`` (the same people the day demo adds)."""
    occupations = list(OCCUPATIONS)
    people = []
    for n in range(EXTRA_VOLUNTEERS):
        community = demo.XINGFU if n % 2 == 0 else demo.HEPING
        short = "xf" if community == demo.XINGFU else "hp"
        occupation = occupations[n % len(occupations)]
        name = f"{SURNAMES[n % len(SURNAMES)]}某{n + 1}"
        people.append((Actor(f"v-{short}-{n + 1:02d}", "volunteer", community), name, occupation))
    return people


@dataclass
class People:
    """Who serves when, and how keen each is."""

    serving: list[Actor] = field(default_factory=list)
    activity: dict[str, float] = field(default_factory=dict)
    joined: dict[str, int] = field(default_factory=dict)
    """The day of the year each joined."""

    def pick(self, timeline: Timeline, community: str | None = None) -> Actor:
        """A serving volunteer (of ``community``), the keener more often."""
        pool = [v for v in self.serving if community is None or v.unit == community]
        weights = [self.activity[v.id] for v in pool]
        return timeline.rng.choices(pool, weights)[0]


def admit(flow: IncidentFlow, person: Actor, name: str, occupation: str, n: int) -> None:
    """Apply, review three times and admit ``person`` (as the day demo's extras)."""
    volunteers = Volunteers(flow.app, flow.scoring)
    cadre, _, officer = demo.DIRECTORS[person.unit]
    volunteers.apply(
        cadre,
        volunteer_id=person.id,
        name=name,
        phone=f"1390435{n:04d}",
        id_number=demo.sample_id_number(n),
        address=f"{demo.UNIT_NAMES[person.unit]}{n % 30 + 1}栋",
        employer="梨树县" + OCCUPATIONS[occupation],
        occupation=occupation,
        party_member=n % 3 == 0,
    )
    for reviewer in ("employer", "community"):
        volunteers.review(cadre, person.id, reviewer=reviewer, approved=True, note="表现良好")
    volunteers.review(
        demo.STATION_OFFICER, person.id, reviewer="station", approved=True, note="无前科劣迹"
    )
    volunteers.admit(officer, person.id)


def enrol(flow: IncidentFlow, timeline: Timeline, people: People) -> dict[str, str]:
    """Today's demo volunteers and catalogue on the first day, the first extras with
    them, and the others spread over the year; returns the catalogue ``{name: id}``."""
    items = demo.enrol(flow)
    for person, *_ in demo.APPLICANTS:
        people.serving.append(person)
        people.activity[person.id] = 3.0
        people.joined[person.id] = 0
    later = EXTRA_VOLUNTEERS - FIRST_DAY_EXTRAS
    for n, (person, name, occupation) in enumerate(extra_volunteers()):
        day = 0 if n < FIRST_DAY_EXTRAS else 14 + (n - FIRST_DAY_EXTRAS) * 300 // later
        timeline.at(
            timeline.day(day, 10, n),
            "admit",
            _joining(flow, people, person, name, occupation, n + 100, day, timeline),
        )
    return items


def _joining(
    flow: IncidentFlow,
    people: People,
    person: Actor,
    name: str,
    occupation: str,
    n: int,
    day: int,
    timeline: Timeline,
) -> Script:
    admit(flow, person, name, occupation, n)
    people.serving.append(person)
    people.activity[person.id] = round(timeline.rng.uniform(0.3, 2.0), 2)
    people.joined[person.id] = day
    yield from ()
