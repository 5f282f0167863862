"""Runs features/23_self_registration.feature: the public applies with no log-in
(Fuping's 注册审核, Gucheng's 招募队员), answering a signed single-use sum, and
the application enters the joint review; each refusal stores nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then

from aggregates.errors import DomainError
from aggregates.volunteer import STATUSES, volunteer_aggregate_id
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.counties import COUNTIES, occupation_label
from loop.rules.scoring import SCORING_PRESETS
from loop.services.audit import history
from loop.services.joining import Challenge, Challenges, SelfRegistration, volunteer_id_of
from loop.services.volunteers import id_check_digit
from tests.bdd.conftest import TRY, Q, World, action

scenarios("23_self_registration.feature")

KEY = b"the installation's challenge key, 32+"
PEOPLE = {"老赵": ("赵某", "13904438888", 1), "老钱": ("钱某", "13904437777", 2)}
COMMUNITIES = {"幸福社区": demo.XINGFU, "南山社区": "lishu/chaoyang/nanshan"}


@dataclass
class Desk:
    """The county's form as the scenario sees it."""

    loop: Loop | None = None
    challenges: Challenges | None = None
    opened: dict[str, Challenge] = field(default_factory=dict)
    sent: dict[str, tuple[Challenge, str, dict[str, Any]]] = field(default_factory=dict)
    before: int | None = None
    start: int | None = None

    @property
    def ready(self) -> Loop:
        assert self.loop is not None, "no county preset chosen"
        return self.loop

    def head(self) -> int | None:
        position: int | None = self.ready.app.recorder.max_notification_id()
        return position


@pytest.fixture
def desk() -> Desk:
    return Desk()


def answer_to(challenge: Challenge) -> str:
    asked = re.fullmatch(r"(\d+) (加|减) (\d+) 等于几？", challenge.question)
    assert asked is not None, challenge.question
    a, b = int(asked[1]), int(asked[3])
    return str(a + b if asked[2] == "加" else a - b)


def id_number(n: int, *, wrong: bool = False) -> str:
    first = f"13092519800101{n:03d}"
    digit = id_check_digit(first)
    return first + (("0" if digit != "0" else "1") if wrong else digit)


def submit(
    world: World, desk: Desk, attempt: bool, challenge: Challenge, answer: str, form: dict[str, Any]
) -> None:
    loop = desk.ready
    desk.before = desk.head()
    if desk.start is None:
        desk.start = desk.before
    world.error = None
    world.clock.tick()

    def run() -> Any:
        assert desk.challenges is not None
        nonce = desk.challenges.spend(challenge.token, answer)
        return SelfRegistration(loop.app, loop.registry, loop.volunteers.county).apply(
            nonce, **form
        )

    if not attempt:
        world.result = run()
        return
    with pytest.raises(DomainError) as caught:
        run()
    world.error = caught.value


@given(parsers.re(f"本县采用{Q.format('preset')}政策预设"))
def county_preset(world: World, desk: Desk, preset: str) -> None:
    county = COUNTIES[preset]
    desk.loop = open_loop(clock=world.clock, scoring=SCORING_PRESETS[county.scoring], county=county)
    demo.register_units(desk.loop.registry)
    desk.challenges = Challenges(KEY, world.clock)


@given(parsers.re("群众(?P<person>老.)打开报名表"))
def opens_the_form(desk: Desk, person: str) -> None:
    assert desk.challenges is not None
    desk.opened[person] = desk.challenges.issue()


def form_of(person: str, community: str, choice: str, bad_id: str | None) -> dict[str, Any]:
    name, phone, n = PEOPLE[person]
    code = desk_choice(choice)
    return {
        "community": COMMUNITIES[community],
        "name": name,
        "phone": phone,
        "id_number": id_number(n, wrong=bool(bad_id)),
        "address": "幸福小区8栋",
        "employer": "无",
        "occupation": code,
    }


def desk_choice(choice: str) -> str:
    """The code the form's list sends for the name shown (the name itself if unknown)."""
    found = [code for preset in COUNTIES.values() for code, (zh, _) in preset.occupations.items()]
    return next((c for c in found if occupation_label(c) == choice), choice)


FORM = (
    f"{Q.format('community')}(?P<bad_id>，身份证号校验位写错)?，选择{Q.format('choice')}，"
    "(?P<right>正确|错误)回答验证题"
)


@action(f"群众(?P<person>老.){TRY}在手机上报名{FORM}")
def applies(
    world: World,
    desk: Desk,
    person: str,
    attempt: str | None,
    community: str,
    bad_id: str | None,
    choice: str,
    right: str,
) -> None:
    assert desk.challenges is not None
    desk.opened[person] = desk.challenges.issue()
    sends(world, desk, person, attempt, community, bad_id, choice, right)


@action(f"群众(?P<person>老.){TRY}提交报名{FORM}")
def sends(
    world: World,
    desk: Desk,
    person: str,
    attempt: str | None,
    community: str,
    bad_id: str | None,
    choice: str,
    right: str,
) -> None:
    challenge = desk.opened[person]
    answer = answer_to(challenge)
    if right == "错误":
        answer = str(int(answer) + 1)
    form = form_of(person, community, choice, bad_id)
    desk.sent[person] = (challenge, answer, form)
    submit(world, desk, bool(attempt), challenge, answer, form)


@action("(?P<person>老.)试图用同一道验证题正确作答再次提交")
def answers_again(world: World, desk: Desk, person: str) -> None:
    challenge, _, form = desk.sent[person]
    submit(world, desk, True, challenge, answer_to(challenge), form)


@action("(?P<person>老.)的网络重发了同一份报名表")
def sent_twice(world: World, desk: Desk, person: str) -> None:
    challenge, answer, form = desk.sent[person]
    submit(world, desk, True, challenge, answer, form)


@action("另一台服务器也收到了同一份报名表")
def another_server(world: World, desk: Desk) -> None:
    """Another process has its own memory of answered questions, and the same key."""
    desk.challenges = Challenges(KEY, world.clock)
    [(challenge, answer, form)] = desk.sent.values()
    submit(world, desk, True, challenge, answer, form)


def applicant_of(desk: Desk, person: str) -> str:
    challenge, answer, _ = desk.sent[person]
    nonce = challenge.token.split(".")[0]
    assert answer == answer_to(challenge)
    return volunteer_id_of(nonce)


@then(parsers.re(f"(?P<person>老.)的报名已记录，状态为{Q.format('status')}，由群众本人提交"))
def recorded(desk: Desk, person: str, status: str) -> None:
    vid = applicant_of(desk, person)
    volunteer = desk.ready.volunteers.get(vid)
    assert STATUSES[volunteer.status] == status
    [applied] = desk.ready.app.repository.event_store.get(volunteer_aggregate_id(vid))
    assert (applied.actor.id, applied.actor.role) == (vid, "resident")
    [told] = history(desk.ready.app, volunteer_aggregate_id(vid))
    assert "本人在线报名：" in told["sentence_zh"], told["sentence_zh"]


@then(parsers.re(f"幸福社区干部查看(?P<person>老.)的报名时看到他的电话{Q.format('phone')}"))
def cadre_sees(desk: Desk, person: str, phone: str) -> None:
    shown = desk.ready.volunteers.view(demo.CADRE_XF, applicant_of(desk, person))
    assert shown["personal"]["fields"]["phone"] == phone


@then(parsers.re("(?P<person>老.)的姓名、电话和身份证号不以明文出现在任何事件中"))
def encrypted(desk: Desk, person: str) -> None:
    name, phone, n = PEOPLE[person]
    stored = desk.ready.app.recorder.select_notifications(1, 10_000)
    assert stored
    for secret in (name, phone, id_number(n)):
        assert all(secret.encode() not in record.state for record in stored), secret


@action("所在单位、社区和派出所审核通过后，幸福社区民警吸纳(?P<person>老.)")
def admitted(desk: Desk, person: str) -> None:
    vid, volunteers = applicant_of(desk, person), desk.ready.volunteers
    for who, reviewer in (
        (demo.CADRE_XF, "employer"),
        (demo.DIRECTOR_XF, "community"),
        (demo.STATION_OFFICER, "station"),
    ):
        volunteers.review(who, vid, reviewer=reviewer, approved=True, note="审核通过")
    volunteers.admit(demo.OFFICER_XF, vid)


@then(parsers.re(f"(?P<person>老.)编入{Q.format('squad')}"))
def in_squad(desk: Desk, person: str, squad: str) -> None:
    volunteer = desk.ready.volunteers.get(applicant_of(desk, person))
    assert volunteer.status == "active"
    assert occupation_label(volunteer.squad) == squad


@then(parsers.re(f"报名被拒绝，错误代码为{Q.format('code')}"))
def refused(world: World, code: str) -> None:
    assert world.error is not None, "the application was expected to be refused"
    assert world.error.code == code
    assert world.error.message_zh
    assert world.error.message_en


@then(parsers.re(f"拒绝理由列出本县的{Q.format('value')}"))
def lists_allowed(world: World, value: str) -> None:
    assert world.error is not None
    assert value in world.error.message_zh
    assert value in world.error.details["allowed_labels"]


@then("没有写入任何事件")
def nothing_written(desk: Desk) -> None:
    assert desk.head() == desk.before


@then(parsers.re("(?P<person>老.)只有一份报名"))
def one_application(desk: Desk, person: str) -> None:
    assert desk.ready.volunteers.get(applicant_of(desk, person)).status == "applied"
    stored = desk.ready.app.recorder.select_notifications((desk.start or 0) + 1, 100)
    assert len(stored) == 1
