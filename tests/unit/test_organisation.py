"""The organisation registry through its service: units registered, renamed,
moved, merged and retired as events with their actor; every refusal coded,
bilingual, and storing nothing; the tree the rest of the product reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.organisation import ORGANISATION_ID
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.services.organisation import Registry
from tests.builders import reported
from tests.support import FakeClock

ADMIN = demo.ADMIN


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loop(clock: FakeClock) -> Loop:
    opened = open_loop(clock=clock)
    demo.register_units(opened.registry)
    return opened


def refused(loop: Loop, command: Callable[[], Any], code: str, *words: str) -> DomainError:
    """``command`` is refused with ``code`` (zh and en messages) and stores no event."""
    before = loop.app.recorder.max_notification_id()
    with pytest.raises(DomainError) as caught:
        command()
    error = caught.value
    assert error.code == code
    assert error.message_zh
    assert error.message_en
    for word in words:
        assert word in error.message_zh + error.message_en
    assert loop.app.recorder.max_notification_id() == before
    return error


def test_the_demo_county_is_registered_through_the_registry_commands(loop: Loop) -> None:
    tree = loop.registry.tree()
    assert tree.name(demo.XINGFU) == "幸福社区"
    assert tree.name(demo.XINGFU, lang="en") == "Xingfu Community"
    assert tree.kind(demo.STATION) == "station"
    assert [u.code for u in tree.children(demo.STATION)] == [demo.HEPING, demo.XINGFU]
    assert {u.name for u in tree.departments(demo.XINGFU)} == {
        "县住建局", "县燃气公司", "县消防救援大队",
    }  # fmt: skip
    events = list(loop.app.events.get(ORGANISATION_ID))
    assert {e.actor for e in events} == {ADMIN}  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in events] == ["Founded"] + ["UnitRegistered"] * 7


def test_a_renamed_unit_keeps_its_old_name_for_the_time_before(
    loop: Loop, clock: FakeClock
) -> None:
    before = clock()
    clock.advance(timedelta(days=3))
    loop.registry.rename(ADMIN, demo.XINGFU, name="幸福街道社区", reason="区划调整")
    tree = loop.registry.tree()
    assert tree.name(demo.XINGFU) == "幸福街道社区"
    assert tree.name(demo.XINGFU, at=before) == "幸福社区"
    history = loop.registry.history(demo.XINGFU)
    assert history[-1]["event"] == "UnitRenamed"
    assert "由「幸福社区」更名为「幸福街道社区」" in history[-1]["sentence_zh"]
    assert history[-1]["actor"] == {"id": "admin", "role": "admin", "unit": demo.COUNTY}


def test_a_community_under_a_work_station_is_coded_under_its_station(loop: Loop) -> None:
    loop.registry.register_many(
        ADMIN,
        [
            {"code": "lishu/dongfeng", "kind": "station", "parent": "lishu", "name": "东风派出所"},
            {
                "code": "dongfeng-ws1",
                "kind": "work_station",
                "parent": "lishu/dongfeng",
                "name": "东风一号警务站",
            },
            {
                "code": "lishu/dongfeng/jiacun",
                "kind": "village",
                "parent": "dongfeng-ws1",
                "name": "甲村",
            },
        ],
    )
    tree = loop.registry.tree()
    assert tree.is_community("lishu/dongfeng/jiacun")
    assert tree.ancestor("lishu/dongfeng/jiacun", "station") == "lishu/dongfeng"
    assert tree.within("lishu/dongfeng/jiacun", "lishu")
    refused(
        loop,
        lambda: loop.registry.register(
            ADMIN, code="dongfeng-ws1/yicun", kind="village", parent="dongfeng-ws1", name="乙村"
        ),
        "invalid_input",
        "lishu/dongfeng/",
    )


def test_codes_follow_the_tier_they_sit_under(loop: Loop) -> None:
    refused(
        loop,
        lambda: loop.registry.register(
            ADMIN, code="lishu/chaoyang/x/y", kind="community", parent=demo.STATION, name="x"
        ),
        "invalid_input",
    )
    refused(
        loop,
        lambda: loop.registry.register(
            ADMIN, code="nanshan", kind="community", parent=demo.STATION, name="南山社区"
        ),
        "invalid_input",
        "lishu/chaoyang/",
    )
    refused(
        loop,
        lambda: loop.registry.register(
            ADMIN, code="lishu/civil", kind="department", parent=demo.COUNTY, name="民政局"
        ),
        "invalid_input",
    )


@pytest.mark.parametrize(
    ("kind", "parent", "code"),
    [
        ("community", demo.COUNTY, "lishu/nanshan"),  # a community under a county
        ("station", demo.STATION, "lishu/chaoyang/sub"),  # a station under a station
        ("department", demo.STATION, "dept-x"),  # a department under a station
        ("community", "lishu/nowhere", "lishu/nowhere/a"),  # an unregistered parent
    ],
)
def test_a_unit_of_the_wrong_kind_of_parent_is_refused(
    loop: Loop, kind: str, parent: str, code: str
) -> None:
    refused(
        loop,
        lambda: loop.registry.register(ADMIN, code=code, kind=kind, parent=parent, name="某单位"),
        "invalid_input",
    )


def test_a_taken_code_is_refused_and_a_batch_stores_all_or_nothing(loop: Loop) -> None:
    refused(
        loop,
        lambda: loop.registry.register_many(
            ADMIN,
            [
                {
                    "code": "lishu/chaoyang/nanshan",
                    "kind": "community",
                    "parent": demo.STATION,
                    "name": "南山社区",
                },
                {"code": demo.XINGFU, "kind": "community", "parent": demo.STATION, "name": "重复"},
            ],
        ),
        "organisation_refused",
        demo.XINGFU,
    )
    assert loop.registry.tree().get("lishu/chaoyang/nanshan") is None


def test_a_move_below_itself_is_refused(loop: Loop) -> None:
    loop.registry.register(
        ADMIN, code="chaoyang-ws", kind="work_station", parent=demo.STATION, name="警务站"
    )
    loop.registry.move(ADMIN, demo.XINGFU, parent="chaoyang-ws", reason="划入警务站")
    tree = loop.registry.tree()
    assert tree.parent(demo.XINGFU) == "chaoyang-ws"
    assert tree.ancestor(demo.XINGFU, "station") == demo.STATION
    # a cycle: the station under its own work station is of the wrong kind, and the
    # aggregate refuses any unit under one below it
    refused(
        loop,
        lambda: loop.registry.move(ADMIN, demo.STATION, parent="chaoyang-ws", reason="x"),
        "invalid_input",
    )


def test_a_community_does_not_move_to_another_station(loop: Loop) -> None:
    loop.registry.register(
        ADMIN, code="lishu/dongfeng", kind="station", parent=demo.COUNTY, name="东风派出所"
    )
    refused(
        loop,
        lambda: loop.registry.move(ADMIN, demo.XINGFU, parent="lishu/dongfeng", reason="x"),
        "invalid_input",
        demo.XINGFU,
    )


def test_only_departments_merge_and_a_retired_unit_takes_no_new_unit(loop: Loop) -> None:
    refused(
        loop,
        lambda: loop.registry.merge(ADMIN, demo.HEPING, into=demo.XINGFU, reason="x"),
        "invalid_input",
    )
    loop.registry.merge(ADMIN, "lishu-ranqi", into="lishu-zhujian", reason="机构改革")
    tree = loop.registry.tree()
    assert tree.current("lishu-ranqi") == "lishu-zhujian"
    assert [u.code for u in tree.departments(demo.XINGFU)] == ["lishu-xiaofang", "lishu-zhujian"]
    refused(
        loop,
        lambda: loop.registry.retire(ADMIN, demo.STATION, reason="x"),
        "organisation_refused",
        demo.XINGFU,
    )
    loop.registry.retire(ADMIN, demo.HEPING, reason="撤并")
    refused(
        loop,
        lambda: loop.registry.register(
            ADMIN, code="lishu/chaoyang/heping/x", kind="community", parent=demo.HEPING, name="x"
        ),
        "invalid_input",
    )


def test_retiring_a_unit_with_open_work_is_refused_naming_it(loop: Loop) -> None:
    class Busy:
        def open_incidents(self, unit: str) -> list[str]:
            return ["0f0e0d0c-aaaa"] if unit == demo.HEPING else []

        def accounts_in(self, unit: str) -> list[str]:
            return ["o-hp-zhang"] if unit == demo.HEPING else []

    registry = Registry(loop.app, Busy())
    refused(
        loop,
        lambda: registry.retire(ADMIN, demo.HEPING, reason="x"),
        "invalid_input",
        "0f0e0d0c",
    )


@pytest.mark.parametrize(
    "actor",
    [
        Actor("o-xf-li", "community_officer", demo.XINGFU),
        Actor("s-cy-wang", "station_officer", demo.STATION),
        Actor("other-admin", "admin", "zhenlai"),  # an administrator of another county
    ],
)
def test_only_an_administrator_of_the_unit_changes_it(loop: Loop, actor: Actor) -> None:
    refused(
        loop,
        lambda: loop.registry.rename(actor, demo.XINGFU, name="别名", reason="x"),
        "not_permitted",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": 7}, "code"),
        ({"name": ""}, "name"),
        ({"name": "名" * 61}, "name"),
        ({"kind": "district"}, "kind"),
        ({"centre": [91, 0]}, "centre"),
        ({"centre": ["43", "124"]}, "centre"),
        ({"centre": [True, 1]}, "centre"),
    ],
)
def test_bad_input_is_refused_with_its_field(
    loop: Loop, changes: dict[str, Any], field: str
) -> None:
    given = {
        "code": "lishu/chaoyang/nanshan",
        "kind": "community",
        "parent": demo.STATION,
        "name": "南山社区",
        **changes,
    }
    error = refused(loop, lambda: loop.registry.register_many(ADMIN, [given]), "invalid_input")
    assert error.details.get("field") == field


def test_a_diverted_matter_is_handed_over_to_a_registered_department(loop: Loop) -> None:
    incident = reported(loop.incidents, demo.RIDER)
    loop.incidents.take("divert", demo.OFFICER_XF, incident, reason="属住建部门")
    error = refused(
        loop,
        lambda: loop.incidents.take(
            "hand_over", demo.CADRE_XF, incident, department="县水务局", received_by="刘科长"
        ),
        "invalid_input",
        "县住建局",
    )
    assert error.details["field"] == "department"
    loop.incidents.take(
        "hand_over", demo.CADRE_XF, incident, department="lishu-zhujian", received_by="刘科长"
    )
    assert loop.incidents.get(incident).handover["department"] == "县住建局"
