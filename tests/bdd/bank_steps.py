"""Step definitions for admission, the Happiness Bank and the Fuping points policy
(``features/09`` to ``11``); registered by ``conftest.py``, sharing its World."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pytest_bdd import given, parsers, then

from aggregates.points_account import PointsAccount, account_id
from aggregates.volunteer import OCCUPATIONS, REVIEWERS, STATUSES, TEAMS
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.narration import sentence
from loop.rules.scoring import SCORING_PRESETS
from loop.services.volunteers import Volunteers
from tests.bdd.conftest import CAST, TRY, WHO, Q, World, action
from tests.builders import rewarded, scored_case

POLICIES = {"梨树": "lishu", "阜平": "fuping"}
VERDICTS = {"通过": (True, False), "不通过": (False, False), "发现有前科劣迹": (False, True)}


def _key(labels: dict[str, str], text: str) -> str:
    """The value labelled ``text``; unknown text passes through to be refused."""
    return next((k for k, v in labels.items() if v == text), text)


def _who(name: str) -> str:
    return f"(?P<{name}>{WHO})"


def _account_events(world: World, person: str) -> list[Any]:
    return list(world.flow.app.events.get(account_id(CAST[person].id)))


def _account(world: World, person: str) -> PointsAccount:
    return world.flow.points_account(CAST[person].id)


# -- admission ----------------------------------------------------------------------


def _apply(world: World, who: str, attempt: str | None, person: str, **fields: Any) -> None:
    details = {
        "name": "王某",
        "phone": "13904340099",
        "id_number": demo.sample_id_number(99),
        "address": "幸福小区9栋",
        "employer": "美团外卖梨树站点",
        "occupation": "delivery_rider",
        **fields,
    }
    world.act(
        attempt,
        lambda: Volunteers(world.flow.app, world.flow.scoring).apply(
            CAST[who], volunteer_id=CAST[person].id, **details
        ),
    )


@action(f"{{who}}{TRY}录入{_who('person')}的入队申请，职业{Q.format('job')}(?P<party>，中共党员)?")
def apply_to_join(
    world: World, who: str, attempt: str | None, person: str, job: str, party: str | None
) -> None:
    _apply(world, who, attempt, person, occupation=_key(OCCUPATIONS, job), party_member=bool(party))


@action(f"{{who}}{TRY}录入{_who('person')}的入队申请，身份证号{Q.format('number')}")
def apply_with_id_number(
    world: World, who: str, attempt: str | None, person: str, number: str
) -> None:
    _apply(world, who, attempt, person, id_number=number)


@action(
    f"{{who}}{TRY}以(?P<reviewer>所在单位|派出所|社区)名义审核{_who('person')}"
    f"(?P<verdict>通过|不通过|发现有前科劣迹)，说明{Q.format('note')}"
)
def review(
    world: World, who: str, attempt: str | None, reviewer: str, person: str, verdict: str, note: str
) -> None:
    approved, record = VERDICTS[verdict]
    world.act(
        attempt,
        lambda: Volunteers(world.flow.app, world.flow.scoring).review(
            CAST[who],
            CAST[person].id,
            reviewer=_key(REVIEWERS, reviewer),
            approved=approved,
            criminal_record=record,
            note=note,
        ),
    )


@action(f"{{who}}{TRY}吸纳{_who('person')}")
def admit(world: World, who: str, attempt: str | None, person: str) -> None:
    world.act(
        attempt,
        lambda: Volunteers(world.flow.app, world.flow.scoring).admit(CAST[who], CAST[person].id),
    )


@given(parsers.re(f"{_who('person')}已通过联合审核并被吸纳"))
def reviewed_and_admitted(world: World, person: str) -> None:
    volunteers = Volunteers(world.flow.app, world.flow.scoring)
    vid = CAST[person].id
    volunteers.review(demo.CADRE_XF, vid, reviewer="employer", approved=True, note="表现良好")
    volunteers.review(demo.CADRE_XF, vid, reviewer="community", approved=True, note="家庭和睦")
    volunteers.review(demo.OFFICER_XF, vid, reviewer="station", approved=True, note="无前科")
    volunteers.admit(demo.OFFICER_XF, vid)


@action(f"{{who}}{TRY}将{_who('person')}编入{Q.format('team')}")
def join_team(world: World, who: str, attempt: str | None, person: str, team: str) -> None:
    world.act(
        attempt,
        lambda: Volunteers(world.flow.app, world.flow.scoring).join_team(
            CAST[who], CAST[person].id, team=_key(TEAMS, team)
        ),
    )


@action(f"{{who}}{TRY}将{_who('person')}的状态改为{Q.format('status')}，理由{Q.format('reason')}")
def change_status(
    world: World, who: str, attempt: str | None, person: str, status: str, reason: str
) -> None:
    world.act(
        attempt,
        lambda: Volunteers(world.flow.app, world.flow.scoring).change_status(
            CAST[who], CAST[person].id, status=_key(STATUSES, status), reason=reason
        ),
    )


@then(parsers.re(f"{_who('person')}的状态为{Q.format('status')}"))
def status_is(world: World, person: str, status: str) -> None:
    assert (
        STATUSES[Volunteers(world.flow.app, world.flow.scoring).get(CAST[person].id).status]
        == status
    )


@then(parsers.re(f"{_who('person')}获发档案号、聘书和袖标，编入{Q.format('squad')}队"))
def admitted_with_papers(world: World, person: str, squad: str) -> None:
    volunteer = Volunteers(world.flow.app, world.flow.scoring).get(CAST[person].id)
    assert volunteer.armband_no
    assert (volunteer.archive_no, volunteer.letter_no) == (
        world.result.archive_no,
        world.result.letter_no,
    )
    assert volunteer.squad == _key(OCCUPATIONS, squad)


@then(parsers.re(f"{_who('person')}编入{Q.format('group')}党小组"))
def in_party_group(world: World, person: str, group: str) -> None:
    assert Volunteers(world.flow.app, world.flow.scoring).get(CAST[person].id).party_group == _key(
        OCCUPATIONS, group
    )


@then(parsers.re(f"{_who('person')}属于{Q.format('team')}"))
def in_team(world: World, person: str, team: str) -> None:
    assert (
        _key(TEAMS, team)
        in Volunteers(world.flow.app, world.flow.scoring).get(CAST[person].id).teams
    )


@then(parsers.re(f"{_who('person')}的幸福银行账户已开通，余额(?P<n>\\d+)积分"))
def account_opened(world: World, person: str, n: str) -> None:
    account = _account(world, person)
    assert account.balance == int(n)
    assert str(account.id) == world.result.account_id


@then(parsers.re(f"{_who('person')}没有幸福银行账户"))
def no_account(world: World, person: str) -> None:
    assert account_id(CAST[person].id) not in world.flow.app.repository


@then(parsers.re(f"不予吸纳的理由包含{Q.format('text')}"))
def rejection_reason(world: World, text: str) -> None:
    volunteer = Volunteers(world.flow.app, world.flow.scoring).get(world.result.volunteer_id)
    assert volunteer.rejection_reason is not None
    assert text in volunteer.rejection_reason, volunteer.rejection_reason


@then("没有写入任何事件")
def nothing_written(world: World) -> None:
    assert world.snapshot() == world.before


# -- the Happiness Bank -----------------------------------------------------------------


@action(f"{_who('person')}反馈的警情经考评(?P<points>\\d+)分并兑现奖励")
def rewarded_incident(world: World, person: str, points: str) -> None:
    """Drive one of the volunteer's reports through the loop up to the reward."""
    flow = world.flow

    def drive() -> Any:
        return rewarded(flow, scored_case(flow, CAST[person], int(points)))

    world.act(None, drive)


@action(f"{{who}}{TRY}兑换(?P<n>\\d+)件{Q.format('item')}")
def redeem_own(world: World, who: str, attempt: str | None, n: str, item: str) -> None:
    world.act(
        attempt,
        lambda: world.bank.redeem(CAST[who], CAST[who].id, world.items[item], quantity=int(n)),
    )


@action(f"{{who}}{TRY}为{_who('person')}兑换(?P<n>\\d+)件{Q.format('item')}")
def redeem_for(world: World, who: str, attempt: str | None, person: str, n: str, item: str) -> None:
    world.act(
        attempt,
        lambda: world.bank.redeem(CAST[who], CAST[person].id, world.items[item], quantity=int(n)),
    )


@action(f"{{who}}{TRY}以{Q.format('reason')}为由扣除{_who('person')}(?P<n>\\d+)分")
def deduct(world: World, who: str, attempt: str | None, reason: str, person: str, n: str) -> None:
    world.act(
        attempt,
        lambda: world.bank.deduct(CAST[who], CAST[person].id, reason=reason, points=int(n)),
    )


@action(f"{{who}}{TRY}以{Q.format('reason')}为由对{_who('person')}作违纪扣分")
def discipline(world: World, who: str, attempt: str | None, reason: str, person: str) -> None:
    world.act(
        attempt,
        lambda: world.bank.deduct(CAST[who], CAST[person].id, reason=reason, kind="discipline"),
    )


@action(
    f"{{who}}{TRY}登记{Q.format('donor')}捐赠的{Q.format('name')}(?P<n>\\d+)件，"
    "每件(?P<price>\\d+)积分"
)
def donate(
    world: World, who: str, attempt: str | None, donor: str, name: str, n: str, price: str
) -> None:
    world.act(
        attempt,
        lambda: world.bank.donate(
            CAST[who], name=name, donor=donor, stock=int(n), price=int(price)
        ),
    )
    if not attempt:
        world.items[name] = world.result.item_id


@action(f"{{who}}{TRY}补充{Q.format('item')}(?P<n>\\d+)件，捐赠单位{Q.format('donor')}")
def restock(world: World, who: str, attempt: str | None, item: str, n: str, donor: str) -> None:
    world.act(
        attempt,
        lambda: world.bank.restock(CAST[who], world.items[item], quantity=int(n), donor=donor),
    )


@given(parsers.re("(?P<n>\\d+)天过去了"))
def days_pass(world: World, n: str) -> None:
    world.clock.advance(timedelta(days=int(n)))


@then(parsers.re(f"{_who('person')}的幸福银行余额为(?P<n>\\d+)积分"))
def balance_is(world: World, person: str, n: str) -> None:
    assert world.bank.balance(CAST[person].id).balance == int(n)


@then(parsers.re(f"{Q.format('item')}库存为(?P<n>\\d+)件"))
def stock_is(world: World, item: str, n: str) -> None:
    assert world.bank.item(world.items[item]).stock == int(n)


def _last_entry_text(world: World, person: str) -> str:
    zh, _ = sentence(_account_events(world, person)[-1])
    return zh.split(" ", 2)[2]  # without the actor's role and id


@then(parsers.re(f"{_who('person')}的账户最后一笔记录为{Q.format('text')}"))
def last_entry_is(world: World, person: str, text: str) -> None:
    assert _last_entry_text(world, person) == text


@then(parsers.re(f"{_who('person')}的账户最后一笔记录包含{Q.format('text')}"))
def last_entry_mentions(world: World, person: str, text: str) -> None:
    assert text in _last_entry_text(world, person), _last_entry_text(world, person)


@then(
    parsers.re(
        f"{_who('person')}最后一笔积分的依据为该警情，项目{Q.format('item')}，"
        "经社区主任和社区民警签字"
    )
)
def deposit_basis(world: World, person: str, item: str) -> None:
    deposits = [e for e in _account_events(world, person) if isinstance(e, PointsAccount.Deposited)]
    basis = deposits[-1].basis
    assert basis["incident_id"] == str(world.incident)
    assert [i["item"] for i in basis["items"]] == [item]
    assert basis["signers"] == {"director": demo.DIRECTOR_XF.id, "officer": demo.OFFICER_XF.id}


@then(parsers.re(f"{_who('person')}最后一笔积分由{_who('who')}决定"))
def decided_by(world: World, person: str, who: str) -> None:
    entries = [e for e in _account_events(world, person) if isinstance(e, PointsAccount.Entry)]
    assert entries[-1].actor == CAST[who]


# -- the Fuping policy: base points, stars, monthly evaluation, honours -------------------


@given(parsers.re(f"采用{Q.format('policy')}积分政策"))
def scoring_policy(world: World, policy: str) -> None:
    world.flow = open_loop(clock=world.clock, scoring=SCORING_PRESETS[POLICIES[policy]]).incidents
    world.items = demo.enrol(world.flow)


@action(
    f"{{who}}{TRY}将{_who('person')}(?P<month>\\d{{4}}-\\d{{2}})的月考评记为(?P<verdict>合格|不合格)"
)
def evaluate(
    world: World, who: str, attempt: str | None, person: str, month: str, verdict: str
) -> None:
    world.act(
        attempt,
        lambda: world.bank.evaluate_month(
            CAST[who], CAST[person].id, month=month, passed=verdict == "合格", note="月考评"
        ),
    )


@then("本次月考评不扣分")
def no_deduction(world: World) -> None:
    assert (world.result.rule_met, world.result.deducted) == (None, 0)


@then(parsers.re(f"本次月考评因{Q.format('rule')}扣分(?P<n>\\d+)分"))
def deduction_for(world: World, rule: str, n: str) -> None:
    assert (world.result.rule_met, world.result.deducted) == (rule, int(n))


@then(parsers.re(f"{_who('person')}的积分为(?P<score>\\d+)分，星级为(?P<stars>\\d+)星"))
def score_and_stars(world: World, person: str, score: str, stars: str) -> None:
    balance = world.bank.balance(CAST[person].id)
    assert (balance.score, balance.star_level) == (int(score), int(stars))


@action(
    f"{{who}}{TRY}授予{_who('person')}{Q.format('honour')}荣誉，期间{Q.format('period')}，"
    f"事由{Q.format('reason')}"
)
def award(
    world: World, who: str, attempt: str | None, person: str, honour: str, period: str, reason: str
) -> None:
    world.act(
        attempt,
        lambda: world.bank.award_honour(
            CAST[who], CAST[person].id, honour=honour, period=period, reason=reason
        ),
    )


@then(parsers.re(f"{_who('person')}获得{Q.format('honour')}（(?P<period>[^）]+)）荣誉"))
def has_honour(world: World, person: str, honour: str, period: str) -> None:
    volunteer = Volunteers(world.flow.app, world.flow.scoring).get(CAST[person].id)
    assert {"honour": honour, "period": period} in volunteer.honours
