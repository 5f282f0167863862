"""The one permission model: one vocabulary, one lookup for commands, reads and
masking, one refusal; and tables a new domain adds to it."""

from __future__ import annotations

import itertools

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.errors import NotPermitted
from loop.rules import masking, permissions, policy
from loop.rules.access import Record, Scope, grant
from loop.rules.permissions import ACTIONS, GRANTS, READS, TABLES, Table
from loop.rules.steps import STEPS
from loop.rules.vocabulary import Role

XINGFU, HEPING, STATION, COUNTY = demo.XINGFU, demo.HEPING, demo.STATION, demo.COUNTY
OTHER_STATION, OTHER_COUNTY = "lishu/shuangyang", "gongzhuling"
PEOPLE = [
    demo.RIDER,
    demo.TAXI,
    demo.OFFICER_XF,
    demo.OFFICER_HP,
    demo.AUXILIARY_XF,
    demo.CADRE_XF,
    demo.DIRECTOR_XF,
    demo.CADRE_HP,
    demo.STATION_OFFICER,
    Actor("s-sy-feng", "station_officer", OTHER_STATION),
    demo.COUNTY_OFFICER,
    demo.PUBLICITY,
    Actor("p-gzl-xu", "publicity_officer", OTHER_COUNTY),
    Actor("au-ls-ma", "auditor", COUNTY),
    Actor("ad-ls", "admin", COUNTY),
]
STAFF = {r for r in Role if r not in (Role.VOLUNTEER, Role.ADMIN)}


def records(kind: str) -> list[Record]:
    """Records of ``kind`` in both communities (and a station's bank), about the
    demo's volunteers, owned by each tier, at each stage."""
    found = []
    for unit, person in ((XINGFU, demo.RIDER.id), (HEPING, demo.TAXI.id)):
        for owner in (unit, STATION, COUNTY, None):
            for stage in ("reported", "handling_station", "rewarded", None):
                found.append(Record(kind, unit, person=person, owner=owner, stage=stage))
    return [*found, Record(kind, STATION)] if kind == "item" else found


# -- the previous rules, stated independently ------------------------------------------


def reads(actor: Actor, record: Record) -> bool:
    """Staff read what lies within their unit, a volunteer what is about him (and
    the goods of his community's and station's banks); the administrator nothing."""
    if actor.role == Role.VOLUNTEER:
        if record.kind == "item":
            return record.unit in (actor.unit, actor.unit.rsplit("/", 1)[0])
        return actor.id == record.person
    staff_reads = actor.role in STAFF and (
        record.unit == actor.unit or record.unit.startswith(actor.unit + "/")
    )
    if record.kind == "item":  # and the banks above them
        return staff_reads or (actor.role in STAFF and actor.unit.startswith(record.unit + "/"))
    return staff_reads


@pytest.mark.parametrize("kind", ["incident", "volunteer", "account", "item"])
def test_who_reads_a_record_is_as_the_read_scope_always_said(kind: str) -> None:
    for actor, record in itertools.product(PEOPLE, records(kind)):
        assert permissions.visible(actor, record) == reads(actor, record), (actor, record)
    assert not permissions.visible(None, records(kind)[0])


def test_whoever_may_act_on_a_record_may_read_it() -> None:
    """No grant reaches past the reads: nobody is allowed a command on a record he
    would be told does not exist."""
    kinds = {step: "incident" for step in STEPS} | {"discover": "incident"}
    kinds |= {c: "volunteer" for c in GRANTS if c in ("apply", "admit", "join_team")}
    kinds |= {c: "volunteer" for c in GRANTS if c.startswith(("review_", "change_"))}
    kinds |= {c: "account" for c in ("redeem", "deduct", "evaluate_month", "award_honour")}
    kinds |= {"donate": "item"}
    assert set(kinds) == set(GRANTS) | set(policy.step_grants())
    for action, kind in kinds.items():
        for actor, record in itertools.product(PEOPLE, records(kind)):
            if permissions.may(action, actor, record):
                assert permissions.visible(actor, record), (action, actor, record)


def test_masking_asks_the_same_lookup() -> None:
    for actor, record in itertools.product([*PEOPLE, None], records("incident")):
        view = masking.view_for(actor, record.unit, record.person or "")
        for section in masking.Section:
            assert view.sees(section) == permissions.may(f"see_{section}", actor, record)
    informant = Record("incident", XINGFU, person=demo.RIDER.id)
    seeing = {a.id for a in PEOPLE if permissions.may("see_informant", a, informant)}
    assert seeing == {"v-xf-liu", "o-xf-li", "a-xf-yang", "s-cy-wang", "k-ls-gao", "au-ls-ma"}


def test_one_vocabulary_in_every_table() -> None:
    every = [g for table in TABLES for grants in table.grants.values() for g in grants]
    assert {g.scope for g in every} == set(Scope)
    assert all(isinstance(g.scope, Scope) for g in every)
    assert set(ACTIONS) >= set(STEPS) | set(GRANTS) | set(READS) | {"see_informant"}
    assert [r.scope for r in policy.RULES if r.step == "discover"] == [Scope.SELF, Scope.COMMUNITY]


def test_the_one_refusal_names_who_may_in_both_languages() -> None:
    record = Record("incident", XINGFU, person=demo.RIDER.id, owner=XINGFU, stage="reported")
    refusal = permissions.refusal("accept", demo.STATION_OFFICER, record)
    assert refusal.code == "not_permitted"
    assert refusal.message_zh == (
        "「派出所民警」（lishu/chaoyang）无权在「已反馈待研判」阶段执行「受理处置」；"
        "可执行者：社区民警（当前承办单位）"
    )
    assert refusal.message_en.startswith(
        "Role 'station_officer' in unit 'lishu/chaoyang' may not 'accept' at stage 'reported'"
    )
    assert refusal.details == {
        "action": "accept",
        "allowed": [{"roles": ["community_officer"], "scope": "owner"}],
        "unit": XINGFU,
        "stage": "reported",
    }
    account = Record("account", XINGFU, person=demo.RIDER.id)
    with pytest.raises(NotPermitted) as deduct:
        permissions.check("deduct", demo.CADRE_XF, account)
    assert "无权扣分；可执行者：社区主任、社区民警（所在社区）；派出所民警（所属派出所）" in (
        deduct.value.message_zh
    )
    with pytest.raises(NotPermitted) as unit:
        permissions.check("read_unit", demo.RIDER, Record("unit", XINGFU))
    assert "无权查看单位 lishu/chaoyang/xingfu 的数据" in unit.value.message_zh


def test_a_role_that_never_may_is_refused_without_a_record() -> None:
    with pytest.raises(NotPermitted) as refused:
        permissions.check_role("accept", demo.RIDER)
    assert set(refused.value.details) == {"action", "allowed"}
    assert len(refused.value.details["allowed"]) == len(policy.step_grants()["accept"])
    permissions.check_role("accept", demo.STATION_OFFICER)  # some stage, some unit


def test_a_new_domain_adds_its_table_and_is_looked_up_the_same_way() -> None:
    lost = Table(  # lost property (失物招领), as a domain still to come would add it
        {
            "accept_lost_item": (grant([Role.STATION_OFFICER], "station"),),
            "read_lost_item": (
                grant([Role.STATION_OFFICER], "within"),
                grant([Role.VOLUNTEER], "home"),
            ),
        },
        {"accept_lost_item": ("认领失物", "accept a lost item")},
    )
    found = permissions.compose((*TABLES, lost))
    order = Record("lost_item", XINGFU)
    assert [g.allows(demo.STATION_OFFICER, order) for g in found["accept_lost_item"]] == [True]
    assert any(g.allows(demo.RIDER, order) for g in found["read_lost_item"])
    assert not any(g.allows(demo.TAXI, order) for g in found["read_lost_item"])
    with pytest.raises(ValueError, match="accept_lost_item"):
        permissions.compose((*TABLES, lost, lost))


def test_duty_tasks_and_notices_are_tables_of_the_one_model() -> None:
    task = Record("task", XINGFU, person=demo.RIDER.id)
    assert permissions.may("sign_up", demo.RIDER, task)
    assert not permissions.may("sign_up", demo.COURIER, task)
    assert permissions.may("publish_task", demo.STATION_OFFICER, task)
    assert permissions.visible(demo.STATION_OFFICER, task)
    assert not permissions.visible(demo.OFFICER_HP, task)
    station_notice = Record("notice", STATION, owner=STATION)
    assert permissions.may("publish_notice", demo.STATION_OFFICER, station_notice)
    assert permissions.may("change_notice", demo.STATION_OFFICER, station_notice)
    assert not permissions.may("change_notice", demo.COUNTY_OFFICER, station_notice)
    with pytest.raises(NotPermitted) as refused:
        permissions.check("publish_notice", demo.OFFICER_XF, Record("notice", XINGFU, owner=XINGFU))
    assert "县局宣传科、县局指挥中心民警（所属县局）；派出所民警（所属派出所）" in (
        refused.value.message_zh
    )
