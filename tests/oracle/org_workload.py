"""The organisation and the log-in accounts in the random workload, through the
real services (the registry and the account directory the API's routes call).

Between the loop's commands (``tests.oracle.workload``), with a random stream of
its own so the loop's walk is drawn as before. The opening registers the demo's
county as any county's is (``loop.demo.register_units``); then the workload
registers stations, work stations, communities, villages and departments of its
own (several at once, all or none), renames them (a name's history kept), moves
communities and villages between their station and its work stations, merges
departments, retires units, and creates accounts, gives them another role,
disables and enables them, and sends commands that must be refused (a code
taken, a unit below itself, a retired unit, a unit that still has units or
enabled accounts, a role in the wrong kind of unit, a non-administrator): each
must write nothing, which ``refused`` checks. The demo's own units are left as
they are (the loop hands matters over to its departments by their names).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from loop import demo

if TYPE_CHECKING:
    from tests.oracle.workload import Workload

ADMIN = demo.ADMIN
ROLES = {
    "community": ("volunteer", "community_officer", "community_cadre", "auxiliary"),
    "village": ("community_director", "volunteer"),
    "station": ("station_officer",),
    "county": ("county_officer", "auditor", "publicity_officer"),
}


class OpenWork:
    """What still hangs on a unit, read from the read models (as the API wires
    the registry), caught up first."""

    def __init__(self, views: Any) -> None:
        self.views = views

    def open_incidents(self, unit: str) -> list[str]:
        self.views.projector.catch_up()
        return [r["incident_id"] for r in self.views.queries.backlog(unit, limit=500)]

    def accounts_in(self, unit: str) -> list[str]:
        self.views.projector.catch_up()
        return list(self.views.accounts.holders(unit))


class Organising:
    """Registry and account commands for ``workload`` (its writers and clock)."""

    def __init__(self, workload: Workload, seed: int) -> None:
        self.w = workload
        self.rng = random.Random(seed)
        self.made = 0
        self.usernames: list[str] = []
        self.surprises: list[str] = []  # refused commands that were taken or wrote
        self.refusals_sent = 0

    @property
    def tree(self) -> Any:
        return self.w.loops[0].registry.tree()

    def call(self, command: str, method: str, /, *args: Any, **kwargs: Any) -> Any:
        return self.w.call(command, method, *args, writer=self.rng, **kwargs)

    def refused(self, command: str, method: str, /, *args: Any, **kwargs: Any) -> None:
        """A command the rules refuse: it is refused and writes nothing."""
        recorder = self.w.loops[0].app.recorder
        self.refusals_sent += 1
        before = recorder.max_notification_id()
        taken = self.w.call(f"{command} (refused)", method, *args, writer=self.rng, **kwargs)
        after = recorder.max_notification_id()
        if taken is not None or after != before:
            self.surprises.append(f"{command} {args} {kwargs}: taken {taken}, {before}->{after}")

    def ours(self, *kinds: str, active: bool = True) -> list[Any]:
        """The workload's own units (not the demo's) of ``kinds``."""
        demo_units = {*demo.UNIT_NAMES, *demo.DEPARTMENTS}
        return [
            u
            for u in (self.tree.get(c) for c in self.tree.descendants(demo.COUNTY))
            if u is not None
            and u.code not in demo_units
            and u.kind in kinds
            and (u.active or not active)
        ]

    def session(self) -> None:
        for _ in range(self.rng.randint(1, 3)):
            self.step()

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            self.register()
        elif roll < 0.3:
            self.rename()
        elif roll < 0.38:
            self.move()
        elif roll < 0.43:
            self.merge()
        elif roll < 0.5:
            self.retire()
        elif roll < 0.65:
            self.create_account()
        elif roll < 0.8:
            self.re_role()
        elif roll < 0.95:
            self.switch_account()
        else:
            self.refusals()

    # -- units ------------------------------------------------------------------------------

    def _code(self, kind: str, parent: str) -> str:
        self.made += 1
        part = {"station": "s", "community": "c", "village": "v"}.get(kind)
        if part is None:  # work stations and departments: one part, no slash
            return f"{kind[:3]}{self.made}"
        return f"{self.tree.ancestor(parent, 'station') or parent}/{part}{self.made}"

    def _unit(self, kind: str, parent: str) -> dict[str, Any]:
        code = self._code(kind, parent)
        centre = [43.3 + self.rng.random() / 10, 124.3] if self.rng.random() < 0.3 else None
        return {
            "code": code,
            "kind": kind,
            "parent": parent,
            "name": f"单位{self.made}",
            "name_en": f"Unit {self.made}" if self.rng.random() < 0.5 else "",
            "centre": centre,
        }

    def register(self) -> None:
        """One unit, or a station with units under it in one step."""
        stations = self.ours("station")
        roll = self.rng.random()
        if roll < 0.3 or not stations:
            station = self._unit("station", demo.COUNTY)
            more = [self._unit("community", station["code"])] if self.rng.random() < 0.6 else []
            self.call("register_units", "registry.register_many", ADMIN, [station, *more])
            return
        if roll < 0.45:
            self.call(
                "register_units",
                "registry.register_many",
                ADMIN,
                [self._unit("department", demo.COUNTY)],
            )
            return
        station = self.rng.choice(stations).code
        above = [station, *(u.code for u in self.ours("work_station") if u.parent == station)]
        kind = self.rng.choice(["community", "village", "work_station"])
        parent = station if kind == "work_station" else self.rng.choice(above)
        self.call("register_units", "registry.register_many", ADMIN, [self._unit(kind, parent)])

    def rename(self) -> None:
        units = self.ours("station", "community", "village", "work_station", "department")
        if units:
            unit = self.rng.choice(units)
            self.made += 1
            name = unit.name if self.rng.random() < 0.1 else f"{unit.name[:40]}改{self.made}"
            self.call(
                "rename_unit",
                "registry.rename",
                ADMIN,
                unit.code,
                name=name,
                name_en=unit.names[-1][2] if self.rng.random() < 0.5 else f"Unit {self.made}",
                reason="区划调整",
            )

    def move(self) -> None:
        """A community or village to its station or one of the station's work stations."""
        units = self.ours("community", "village")
        if not units:
            return
        unit = self.rng.choice(units)
        station = str(self.tree.ancestor(unit.code, "station"))
        places = [station, *(u.code for u in self.ours("work_station") if u.parent == station)]
        places = [p for p in places if p != unit.parent]
        if places:
            self.call(
                "move_unit",
                "registry.move",
                ADMIN,
                unit.code,
                parent=self.rng.choice(places),
                reason="管辖调整",
            )

    def merge(self) -> None:
        departments = self.ours("department")
        if len(departments) > 1:
            one, other = self.rng.sample(departments, 2)
            self.call(
                "merge_unit", "registry.merge", ADMIN, one.code, into=other.code, reason="机构合并"
            )

    def retire(self) -> None:
        """A unit with nothing below it and no account (refused otherwise)."""
        units = self.ours("community", "village", "work_station", "department", "station")
        if units:
            unit = self.rng.choice(units)
            self.call("retire_unit", "registry.retire", ADMIN, unit.code, reason="撤并")

    # -- accounts ---------------------------------------------------------------------------

    def _place(self) -> tuple[str, str] | None:
        """A role and an active unit it may be held in."""
        units = [
            u
            for u in (self.tree.get(c) for c in self.tree.descendants(demo.COUNTY))
            if u is not None and u.active and u.kind in ROLES
        ]
        if not units:
            return None
        unit = self.rng.choice(units)
        return self.rng.choice(ROLES[unit.kind]), unit.code

    def create_account(self) -> None:
        place = self._place()
        if place is None:
            return
        self.made += 1
        name = f"u{self.made}"
        done = self.call(
            "create_account",
            "accounts.create",
            ADMIN,
            username=name,
            role=place[0],
            unit=place[1],
            display_name=f"账号{self.made}" if self.rng.random() < 0.7 else "",
            reason="新聘",
            password=self.rng.choice(["one_time", None]),
        )
        if done is not None:
            self.usernames.append(name)

    def re_role(self) -> None:
        place = self._place()
        if place is None or not self.usernames:
            return
        self.call(
            "grant_role",
            "accounts.grant",
            ADMIN,
            self.rng.choice(self.usernames),
            role=place[0],
            unit=place[1],
            reason="岗位调整",
        )

    def switch_account(self) -> None:
        """Disable or enable an account (or reset its password, or take its role)."""
        if not self.usernames:
            return
        name = self.rng.choice(self.usernames)
        account = self.w.loops[0].accounts.get(name)
        roll = self.rng.random()
        if roll < 0.1:
            self.call("reset_password", "accounts.reset_password", ADMIN, name, reason="遗忘")
        elif roll < 0.15 and account.role is not None:
            self.call("revoke_role", "accounts.revoke", ADMIN, name, reason="离岗")
        elif account.disabled:
            self.call("enable_account", "accounts.enable", ADMIN, name, reason="复岗")
        else:
            self.call("disable_account", "accounts.disable", ADMIN, name, reason="离职")

    def refusals(self, case: int | None = None) -> None:
        """Commands the rules refuse (one drawn, or ``case`` 0-9), each checked to
        write nothing."""
        rng, county = self.rng, demo.COUNTY
        found = map(self.w.loops[0].accounts.find, self.usernames)
        held = [a for a in found if a and a.unit and not a.disabled]  # enabled, holding a role
        roll = rng.random() if case is None else case / 10 + 0.01
        if roll < 0.15:
            self.refused(
                "register_units",
                "registry.register_many",
                ADMIN,
                [
                    self._unit("department", county),
                    {
                        "code": demo.XINGFU,
                        "kind": "community",
                        "parent": demo.STATION,
                        "name": "重复",
                    },
                ],
            )
        elif roll < 0.3:
            self.refused(
                "move_unit",
                "registry.move",
                ADMIN,
                demo.STATION,
                parent=demo.XINGFU,
                reason="移到下级之下",
            )
        elif roll < 0.4:
            self.refused(
                "merge_unit",
                "registry.merge",
                ADMIN,
                demo.HEPING,
                into=demo.XINGFU,
                reason="社区不能合并",
            )
        elif roll < 0.55 and held:
            self.refused(
                "retire_unit", "registry.retire", ADMIN, rng.choice(held).unit, reason="仍有账号"
            )
        elif roll < 0.65:
            self.refused("retire_unit", "registry.retire", ADMIN, demo.STATION, reason="仍有下级")
        elif roll < 0.75 and self.ours("station", active=False):
            gone = [u for u in self.ours("station", "community", active=False) if not u.active]
            if gone:
                self.refused(
                    "rename_unit",
                    "registry.rename",
                    ADMIN,
                    rng.choice(gone).code,
                    name="已撤销",
                    reason="已撤销",
                )
        elif roll < 0.85:
            self.refused(
                "create_account",
                "accounts.create",
                ADMIN,
                username="u-wrong",
                role="station_officer",
                unit=demo.XINGFU,
                reason="角色与单位不符",
            )
        elif roll < 0.92 and self.usernames:
            self.refused(
                "create_account",
                "accounts.create",
                ADMIN,
                username=rng.choice(self.usernames),
                role="volunteer",
                unit=demo.XINGFU,
            )
        else:
            self.refused(
                "rename_unit",
                "registry.rename",
                demo.STATION_OFFICER,
                demo.XINGFU,
                name="越权",
                reason="非管理员",
            )


def organisation_tour(o: Organising) -> None:
    """The opening: the demo's county registered, then a station of the workload's
    own with a community, a work station and a village; a department merged into
    another; a unit renamed twice; accounts created, given another role, disabled
    and enabled; and each kind of refusal once."""
    call = o.w.committers[0].call
    call(demo.register_units, o.w.loops[0].registry)
    for _ in range(2):
        o.register()
    for step in (o.register, o.register, o.rename, o.rename, o.move):
        step()
    for _ in range(2):
        o.call(
            "register_units", "registry.register_many", ADMIN, [o._unit("department", demo.COUNTY)]
        )
    o.merge()
    for _ in range(4):
        o.create_account()
    o.re_role()
    first, second = o.usernames[:2]
    o.call("disable_account", "accounts.disable", ADMIN, first, reason="离职")
    o.call("enable_account", "accounts.enable", ADMIN, first, reason="复岗")
    o.call("revoke_role", "accounts.revoke", ADMIN, second, reason="离岗")  # holds none
    o.refused("enable_account", "accounts.enable", ADMIN, first, reason="未停用")
    o.retire()
    for case in range(10):
        o.refusals(case)
