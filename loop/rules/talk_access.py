"""Who keeps a talk menu, takes and delivers talk orders, and reads them: the
talks' table in the one permission model (``loop.rules.access``, looked up by
``loop.rules.permissions``).

Ping'an's "'枫'警宣讲队" is the station's: the station (or the county's desk for
a county menu) keeps the menu and answers the orders made to it; a community
officer may log an order a village committee phoned in. Staff read the orders
held within their unit. The orderer acts only by his private link
(``loop.services.talks``), never through a grant.
"""

from __future__ import annotations

from loop.rules.access import UNIT_READERS, Grant, Record, grant
from loop.rules.vocabulary import Role

R = Role
STATION = grant([R.STATION_OFFICER], "station")
COUNTY_DESK = grant([R.COUNTY_OFFICER], "county")

TALK_GRANTS: dict[str, tuple[Grant, ...]] = {
    # the record: the menu's unit
    "keep_talk_menu": (STATION, COUNTY_DESK),
    # the record: where the talk is to be given (its community)
    "log_talk_order": (grant([R.COMMUNITY_OFFICER], "community"), STATION, COUNTY_DESK),
    # the record: the unit holding the order now
    "take_talk_order": (STATION, COUNTY_DESK),
    "read_talk_order": (grant(UNIT_READERS, "within"),),
}

TALK_COMMANDS = {
    "keep_talk_menu": ("维护宣讲菜单", "keep a talk menu"),
    "log_talk_order": ("代录群众点单", "log a talk order"),
    "take_talk_order": (
        "接单、婉拒、转交、排期或登记宣讲",
        "answer, schedule or deliver a talk order",
    ),
    "read_talk_order": ("查看该宣讲订单", "read this talk order"),
}


def menu_record(unit: str) -> Record:
    return Record("talk_menu", unit)


def order_record(unit: str) -> Record:
    """An order held by ``unit`` (or, to log one, its community)."""
    return Record("talk_order", unit)
