"""The Happiness Bank's catalogue as the read side shows it: stock, donors and
pieces handed out follow the items themselves, and a volunteer sees the goods of
their own community's bank and their station's, no others."""

from __future__ import annotations

from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError, RedemptionLimitReached
from loop import demo
from loop.errors import ItemNotFound
from loop.rules import units
from loop.services.bank import Bank
from tests.projections.helpers import World

STATION, XINGFU, HEPING = demo.STATION, demo.XINGFU, demo.HEPING
OTHER_STATION = "lishu/shuangyang"
OTHER_COMMUNITY = "lishu/shuangyang/anle"
OTHER_STATION_OFFICER = Actor("s-sy-ma", "station_officer", OTHER_STATION)
OTHER_CADRE = Actor("c-al-jin", "community_cadre", OTHER_COMMUNITY)
KEYS = {
    "item_id",
    "name",
    "donors",
    "bank",
    "stock",
    "price",
    "limit_per_volunteer",
    "handed_out",
}


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in items}


def stock_other_banks(bank: Bank) -> dict[str, str]:
    """Goods in a bank of another station and of one of its communities."""
    station = bank.donate(OTHER_STATION_OFFICER, name="洗衣粉", donor="双阳日化", stock=8, price=10)
    community = bank.donate(OTHER_CADRE, name="雨伞", donor="安乐超市", stock=3, price=15)
    return {"洗衣粉": station.item_id, "雨伞": community.item_id}


def test_the_catalogue_follows_donations_restocks_and_hand_outs(world: World) -> None:
    items = demo.enrol(world.flow)
    bank = Bank(world.flow.app, world.flow.scoring)
    world.reward(demo.RIDER, 50, 50, 50)
    world.reward(demo.COURIER, 50)
    bank.redeem(demo.RIDER, demo.RIDER.id, items["洗澡卡"], quantity=2)
    bank.redeem(demo.COURIER, demo.COURIER.id, items["洗澡卡"])
    bank.restock(demo.CADRE_XF, items["洗澡卡"], quantity=5, donor="梨树县温泉会馆")
    bank.restock(demo.OFFICER_XF, items["洗澡卡"], quantity=1, donor="梨树县福源浴池")
    bank.redeem(demo.RIDER, demo.RIDER.id, items["豆油（5升）"])
    with pytest.raises(RedemptionLimitReached):  # refused: nothing is written
        bank.redeem(demo.RIDER, demo.RIDER.id, items["洗澡卡"])
    bank.restock(demo.STATION_OFFICER, items["豆油（5升）"], quantity=3, donor="梨树县金穗粮油")

    shown = by_name(world.q.catalogue(XINGFU))
    bath = shown["洗澡卡"]
    assert set(bath) == KEYS
    assert (bath["stock"], bath["handed_out"]) == (20 - 3 + 5 + 1, 3)
    assert bath["donors"] == ["梨树县福源浴池", "梨树县温泉会馆"]  # the first donor first, once
    assert (bath["price"], bath["limit_per_volunteer"], bath["bank"]) == (30, 2, XINGFU)
    oil = shown["豆油（5升）"]
    assert (oil["stock"], oil["handed_out"], oil["bank"]) == (12 - 1 + 3, 1, STATION)
    assert oil["limit_per_volunteer"] is None
    assert (shown["保温杯"]["stock"], shown["保温杯"]["handed_out"]) == (15, 0)

    for item in world.q.catalogue_of("lishu"):  # as the items themselves say
        aggregate = bank.item(item["item_id"])
        assert item["name"] == aggregate.name
        assert item["bank"] == aggregate.bank
        assert item["stock"] == aggregate.stock
        assert item["handed_out"] == sum(aggregate.handed_out.values())
        assert item["donors"] == aggregate.donors
        assert item["price"] == aggregate.price
        assert item["limit_per_volunteer"] == aggregate.limit_per_volunteer


def test_a_volunteer_sees_the_goods_of_their_community_and_their_station(world: World) -> None:
    items = demo.enrol(world.flow)
    bank = Bank(world.flow.app, world.flow.scoring)
    elsewhere = stock_other_banks(bank)
    q = world.q
    assert [(i["bank"], i["name"]) for i in q.catalogue(XINGFU)] == [
        (STATION, "豆油（5升）"),
        (XINGFU, "保温杯"),
        (XINGFU, "旅行包"),
        (XINGFU, "洗澡卡"),
    ]
    assert [(i["bank"], i["name"]) for i in q.catalogue(HEPING)] == [
        (STATION, "豆油（5升）"),
        (HEPING, "大米（10斤）"),
    ]
    assert [i["name"] for i in q.catalogue(OTHER_COMMUNITY)] == ["洗衣粉", "雨伞"]
    (station_only,) = q.catalogue("lishu/shuangyang/changning")
    assert (station_only["item_id"], station_only["bank"]) == (elsewhere["洗衣粉"], OTHER_STATION)

    # what the catalogue shows a volunteer is exactly what the bank lets them redeem;
    # the rest is not found, as if it did not exist
    world.reward(demo.RIDER, 50, 50, 50, 50, 50, 50)
    visible = {i["item_id"] for i in world.q.catalogue(XINGFU)}
    everything = world.q.catalogue_of("lishu")
    assert {i["item_id"] for i in everything} == {*items.values(), *elsewhere.values()}
    for item in everything:
        assert (item["item_id"] in visible) == units.within(XINGFU, item["bank"])
        if item["item_id"] in visible:
            bank.redeem(demo.RIDER, demo.RIDER.id, item["item_id"])
        else:
            with pytest.raises(ItemNotFound):
                bank.redeem(demo.RIDER, demo.RIDER.id, item["item_id"])
    assert {i["name"]: i["handed_out"] for i in world.q.catalogue(XINGFU)} == dict.fromkeys(
        ["豆油（5升）", "保温杯", "旅行包", "洗澡卡"], 1
    )


def test_staff_see_every_item_held_by_the_banks_within_their_unit(world: World) -> None:
    items = demo.enrol(world.flow)
    elsewhere = stock_other_banks(Bank(world.flow.app, world.flow.scoring))
    q = world.q

    def names(unit: str) -> list[str]:
        return [i["name"] for i in q.catalogue_of(unit)]

    # by bank (the station's own, then heping's, then xingfu's), then name
    assert names(STATION) == ["豆油（5升）", "大米（10斤）", "保温杯", "旅行包", "洗澡卡"]
    assert names(XINGFU) == ["保温杯", "旅行包", "洗澡卡"]  # not the station's own bank
    assert names(HEPING) == ["大米（10斤）"]
    assert names(OTHER_STATION) == ["洗衣粉", "雨伞"]
    assert len(names("lishu")) == len(items) + len(elsewhere)
    assert names("lishu/dongfeng") == []


def test_bad_catalogue_input_is_refused_with_a_code(world: World) -> None:
    demo.enrol(world.flow)
    for community, code in (
        (STATION, "invalid_query"),  # a volunteer belongs to a community
        ("lishu", "invalid_query"),
        ("lishu//xingfu", "unknown_unit"),
        ("", "unknown_unit"),
    ):
        with pytest.raises(DomainError) as refused:
            world.q.catalogue(community)
        assert refused.value.code == code, community
    with pytest.raises(DomainError) as unit:
        world.q.catalogue_of("lishu/chaoyang/xingfu/x")
    assert unit.value.code == "unknown_unit"
