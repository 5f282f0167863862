"""The organisation's rules as data: which kind of unit sits under which, which
role a person may hold in which kind of unit; who may change the tree and who
may give whom a role are grants of the one permission model
(``loop.rules.organisation_access``), asked here with the unit a grant reads;
and the checks of a unit's code, name and centre.
"""

from __future__ import annotations

import re
from typing import Any

from aggregates.actor import Actor
from loop.errors import InvalidInput
from loop.rules import inputs, permissions
from loop.rules.organisation_access import GRANTABLE, login_record, organisation_record
from loop.rules.units import KINDS, UnitTree
from loop.rules.vocabulary import Role

PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "county": (),
    "station": ("county",),
    "work_station": ("station",),
    "community": ("station", "work_station"),
    "village": ("station", "work_station"),
    "department": ("county",),
}
"""The kinds of unit each kind may be registered (or moved) under."""

R = Role
ROLE_KINDS: dict[Role, tuple[str, ...]] = {
    # "一名民警+一名辅警" serve a community or village; a volunteer belongs to one.
    R.VOLUNTEER: ("community", "village"),
    R.AUXILIARY: ("community", "village"),
    R.COMMUNITY_OFFICER: ("community", "village"),
    R.COMMUNITY_CADRE: ("community", "village"),
    R.COMMUNITY_DIRECTOR: ("community", "village"),
    R.STATION_OFFICER: ("station",),
    R.COUNTY_OFFICER: ("county",),
    R.PUBLICITY_OFFICER: ("county",),
    R.AUDITOR: ("county",),
    R.ADMIN: ("county",),
}
"""The kinds of unit each role is held in: one role, in one unit, at a time."""

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def code(field: str, value: Any) -> str:
    if not isinstance(value, str) or not CODE.match(value.strip()):
        raise InvalidInput(
            f"「{field}」须为1至64位字母、数字、点、横线、下划线或斜线",
            f"'{field}' must be 1-64 letters, digits, dots, dashes, underscores or slashes",
            field=field,
        )
    return value.strip()


def kind(value: Any) -> str:
    if value not in KINDS:
        raise InvalidInput(
            f"单位类别须为：{'、'.join(zh for zh, _ in KINDS.values())}",
            f"the kind must be one of: {', '.join(KINDS)}",
            field="kind",
            allowed=list(KINDS),
        )
    return str(value)


def name(value: Any, field: str = "name", required: bool = True) -> str:
    if not required and (value is None or value == ""):
        return ""
    return inputs.text(field, value, max_len=60)


def centre(value: Any) -> list[float] | None:
    """An optional centre point ``[latitude, longitude]`` in degrees."""
    if value is None:
        return None
    ok = isinstance(value, list | tuple) and len(value) == 2
    numbers = (
        [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)] if ok else []
    )
    if len(numbers) != 2 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        raise InvalidInput(
            "中心点须为[纬度, 经度]", "the centre must be [latitude, longitude]", field="centre"
        )
    return [float(numbers[0]), float(numbers[1])]


LOOP_TIERS = {"county": None, "station": "county", "community": "station", "village": "station"}
"""The kinds the loop acts at, and the tier each one's code is read below: the
loop reads such a unit's scope from its code (``county/station/community``), so
the code of a station is its county's code, a slash and its own part, and the
code of a community or village its station's, a slash and its own part (through
a work station too). Work stations and departments hold no role in the loop:
their codes are one part, with no slash."""


def check_code(tree: UnitTree, kind_: str, parent: str | None, code_: str) -> None:
    """``code_`` is a code the loop reads as the unit it names (:data:`LOOP_TIERS`)."""
    if kind_ not in LOOP_TIERS:
        if "/" in code_:
            raise InvalidInput(
                f"{kind_label(kind_)}的编码不含斜线",
                f"a {kind_label(kind_, 'en')}'s code has no slash",
                field="code",
            )
        return
    tier = LOOP_TIERS[kind_]
    above = None if tier is None or parent is None else tree.ancestor(parent, tier)
    if tier is None:
        ok, expected_zh, expected_en = "/" not in code_, "不含斜线", "with no slash"
    else:
        ok = above is not None and code_.startswith(above + "/")
        ok = ok and "/" not in code_[len(str(above)) + 1 :]
        expected_zh = f"以「{above}/」开头，其后不含斜线"
        expected_en = f"starting '{above}/' with no slash after it"
    if not ok:
        raise InvalidInput(
            f"{kind_label(kind_)}的编码须{expected_zh}",
            f"a {kind_label(kind_, 'en')}'s code must be {expected_en}",
            field="code",
            expected=f"{above}/..." if above else "",
        )


def check_move(tree: UnitTree, code_: str, parent: str) -> None:
    """A move keeps every unit the loop acts at, at or below ``code_``, under the
    unit its code names (a community may move between its station and the
    station's work stations; a station stays in its county)."""
    for below in tree.descendants(code_):
        unit = tree.get(below)
        if unit is None or unit.kind not in LOOP_TIERS or LOOP_TIERS[unit.kind] is None:
            continue
        tier = str(LOOP_TIERS[unit.kind])
        now_under = parent if below == code_ else tree.parent(below)
        chain = [below, *tree.chain(str(now_under))] if below == code_ else tree.chain(below)
        if below != code_ and code_ in chain:  # under the moving unit: its new place
            chain = chain[: chain.index(code_) + 1] + tree.chain(parent)
        named = below.rsplit("/", 1)[0]
        above = next((c for c in chain[1:] if tree.tier(c) == tier), None)
        if above != named:
            raise InvalidInput(
                f"单位 {below} 的编码属于 {named}，不能调到 {above or '（无）'} 之下；请登记新单位",
                f"the unit {below}'s code belongs to {named}; it cannot move under "
                f"{above or '(none)'}: register a new unit",
                field="parent",
                unit=below,
            )


def kind_label(kind_: str, lang: str = "zh") -> str:
    zh, en = KINDS.get(kind_, (kind_, kind_))
    return en if lang == "en" else zh


def check_parent(tree: UnitTree, kind_: str, parent: str | None) -> None:
    """A unit of ``kind_`` may sit under ``parent`` (registered, active, of a kind
    :data:`PARENT_KINDS` allows)."""
    allowed = PARENT_KINDS[kind_]
    if parent is None:
        if allowed:
            raise InvalidInput(
                f"{kind_label(kind_)}须有上级单位",
                f"a {kind_label(kind_, 'en')} needs a parent",
                field="parent",
            )
        return
    unit = tree.get(parent)
    if unit is None:
        raise InvalidInput(
            f"上级单位 {parent} 未登记",
            f"the parent {parent} is not registered",
            field="parent",
            unit=parent,
        )
    if unit.kind not in allowed:
        raise InvalidInput(
            f"{kind_label(kind_)}不能设在{kind_label(unit.kind)}之下，须在"
            f"{'、'.join(kind_label(k) for k in allowed) or '（无）'}之下",
            f"a {kind_label(kind_, 'en')} cannot sit under a {kind_label(unit.kind, 'en')}",
            field="parent",
            unit=parent,
            allowed=list(allowed),
        )


def record_unit(tree: UnitTree, code: str) -> str:
    """The unit the loop reads ``code`` as, for a grant's scope: itself if it is the
    county bureau, a station, community or village, else the nearest such above it
    (a work station's station, a department's county bureau)."""
    for each in tree.chain(code):
        if tree.kind(each) in LOOP_TIERS:
            return each
    return code


def check_organiser(actor: Actor, tree: UnitTree, unit: str) -> None:
    """Only an administrator whose unit holds ``unit`` changes it
    (``loop.rules.organisation_access``)."""
    permissions.check("organise", actor, organisation_record(record_unit(tree, unit)))


def check_role_in_unit(tree: UnitTree, role: Role, unit: str) -> None:
    """A role is held in a registered, active unit of a kind :data:`ROLE_KINDS` allows."""
    found = tree.get(unit)
    if found is None:
        raise InvalidInput(
            f"单位 {unit} 未登记", f"the unit {unit} is not registered", field="unit", unit=unit
        )
    if not found.active:
        raise InvalidInput(
            f"单位 {unit} 已撤销", f"the unit {unit} has been retired", field="unit", unit=unit
        )
    kinds = ROLE_KINDS[role]
    if found.kind not in kinds:
        raise InvalidInput(
            f"「{role.label}」须设在{'、'.join(kind_label(k) for k in kinds)}，"
            f"不能设在{kind_label(found.kind)}",
            f"a {role.value} belongs to a {' or '.join(kinds)}, not a {found.kind}",
            field="unit",
            unit=unit,
            role=role.value,
            allowed=list(kinds),
        )


def may_manage(actor: Actor, tree: UnitTree, role: str | None, unit: str | None) -> bool:
    """Whether ``actor`` may give (or take, or manage an account holding) ``role`` in
    ``unit``; an account holding no role is any administrator's."""
    if role is None or unit is None:
        return permissions.may_ever("manage_account", actor)
    grantable = GRANTABLE.get(actor.role, frozenset())  # type: ignore[call-overload]
    record = login_record("", record_unit(tree, unit))
    return role in grantable and permissions.may("manage_account", actor, record)


def check_manage(actor: Actor, tree: UnitTree, role: str | None, unit: str | None) -> None:
    if may_manage(actor, tree, role, unit):
        return
    record = login_record("", record_unit(tree, unit)) if unit else None
    raise permissions.refusal("manage_account", actor, record)
