"""``Registry``: the organisation's units, registered, renamed, moved, merged and
retired as events of one aggregate, and the tree every rule is given.

:meth:`Registry.tree` is the registry as an immutable :class:`UnitTree`, kept
by version: a command reads the registry's head version (one indexed query)
and rebuilds the tree only when it moved. Retiring or merging a unit asks
``open_work`` (given by the composition root, which reads the read models) for
the open incidents and accounts the unit still has, and is refused naming them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from aggregates.actor import Actor
from aggregates.errors import UnitNotFound
from aggregates.organisation import ORGANISATION_ID, Organisation
from loop.errors import InvalidInput
from loop.rules import inputs, permissions
from loop.rules import organisation as rules
from loop.rules.admin_narration import told_unit
from loop.rules.units import PATHS, UnitTree
from loop.storage.application import LoopApplication


class UnitAck(NamedTuple):
    code: str
    version: int
    """The registry's version after the command."""
    position: int | None


class OpenWork(Protocol):
    """What still hangs on a unit, read from the read models."""

    def open_incidents(self, unit: str) -> list[str]:
        """Open incidents the unit owns or that belong to it."""
        ...

    def accounts_in(self, unit: str) -> list[str]:
        """Enabled accounts holding a role in the unit."""
        ...


class NoOpenWork:
    """For a store without read models (tests of the registry alone)."""

    def open_incidents(self, unit: str) -> list[str]:  # noqa: ARG002
        return []

    def accounts_in(self, unit: str) -> list[str]:  # noqa: ARG002
        return []


class Registry:
    """Commands on the organisation and the tree they make."""

    def __init__(self, app: LoopApplication, open_work: OpenWork | None = None) -> None:
        self.app = app
        self.open_work: OpenWork = open_work or NoOpenWork()
        self._tree = PATHS
        self._lock = threading.Lock()

    # -- the tree -------------------------------------------------------------------------

    def tree(self) -> UnitTree:
        """The registry as it stands (inside a batch, with the batch's changes)."""
        batch = self.app.batch_repository.batch
        pending = batch.aggregates.get(ORGANISATION_ID) if batch is not None else None
        if isinstance(pending, Organisation):
            return UnitTree.from_state(pending.units, pending.version)
        version = self.app.current_version(ORGANISATION_ID)
        cached = self._tree
        if cached.version == version:
            return cached
        organisation = self.app.find(ORGANISATION_ID, Organisation)
        if organisation is None:
            return PATHS
        tree = UnitTree.from_state(organisation.units, organisation.version)
        with self._lock:
            if tree.version > self._tree.version:
                self._tree = tree
        return tree

    def _organisation(self) -> Organisation:
        found = self.app.find(ORGANISATION_ID, Organisation)
        if found is None:
            raise InvalidInput(
                "尚未登记任何单位：先创建首个管理员及其县公安局（lishu users add）",
                "No unit is registered yet: create the first administrator and the county "
                "(lishu users add)",
            )
        return found

    # -- commands -------------------------------------------------------------------------

    def found(
        self, actor: Actor, *, code: str, name: str, name_en: str = "", centre: Any = None
    ) -> UnitAck:
        """Register a county bureau at the root of the tree (the registry's first
        unit is registered so, with the installation's first administrator)."""
        checked = rules.code("code", code)
        rules.check_code(PATHS, "county", None, checked)
        zh, en = rules.name(name), rules.name(name_en, "name_en", required=False)
        point = rules.centre(centre)
        at = self.app.clock()
        organisation = self.app.find(ORGANISATION_ID, Organisation)
        if organisation is None:
            organisation = Organisation.found(actor, at)
        elif organisation.units:
            permissions.check_role("organise", actor)
        organisation.register(
            actor, at, code=checked, kind="county", parent=None, name=zh, name_en=en, centre=point
        )
        return self._ack(organisation, checked)

    def register(
        self,
        actor: Actor,
        *,
        code: str,
        kind: str,
        name: str,
        parent: str,
        name_en: str = "",
        centre: Any = None,
    ) -> UnitAck:
        """Register a station, work station, community, village or department."""
        return self.register_many(
            actor,
            [
                {
                    "code": code,
                    "kind": kind,
                    "name": name,
                    "parent": parent,
                    "name_en": name_en,
                    "centre": centre,
                }
            ],
        )

    def register_many(self, actor: Actor, units: Sequence[dict[str, Any]]) -> UnitAck:
        """Register several units in one step, each under a unit registered before
        it or earlier in the list: all or none."""
        organisation = self._organisation()
        at = self.app.clock()
        code = ""
        for given in units:
            kind = rules.kind(given.get("kind"))
            if kind == "county":
                raise InvalidInput(
                    "县公安局随首个管理员登记",
                    "A county is registered with its first administrator",
                    field="kind",
                )
            code = rules.code("code", given.get("code"))
            parent = rules.code("parent", given.get("parent"))
            tree = UnitTree.from_state(organisation.units, organisation.version)
            rules.check_organiser(actor, tree, parent)
            rules.check_parent(tree, kind, parent)
            rules.check_code(tree, kind, parent, code)
            organisation.register(
                actor,
                at,
                code=code,
                kind=kind,
                parent=parent,
                name=rules.name(given.get("name")),
                name_en=rules.name(given.get("name_en"), "name_en", required=False),
                centre=rules.centre(given.get("centre")),
            )
        return self._ack(organisation, code)

    def rename(
        self, actor: Actor, code: str, *, name: str, reason: str, name_en: str = ""
    ) -> UnitAck:
        """A new name from now on; history keeps the names it had."""
        checked = rules.code("code", code)
        zh, en = rules.name(name), rules.name(name_en, "name_en", required=False)
        why = inputs.text("reason", reason, max_len=500)
        organisation = self._organisation()
        tree = self._tree_of(organisation)
        self._known(tree, checked)
        rules.check_organiser(actor, tree, checked)
        organisation.rename(actor, self.app.clock(), code=checked, name=zh, name_en=en, reason=why)
        return self._ack(organisation, checked)

    def move(self, actor: Actor, code: str, *, parent: str, reason: str) -> UnitAck:
        """Place a unit under another: of a kind it may sit under, never below itself."""
        checked, to = rules.code("code", code), rules.code("parent", parent)
        why = inputs.text("reason", reason, max_len=500)
        organisation = self._organisation()
        tree = self._tree_of(organisation)
        unit = self._known(tree, checked)
        rules.check_organiser(actor, tree, checked)
        rules.check_organiser(actor, tree, to)
        rules.check_parent(tree, unit.kind, to)
        rules.check_move(tree, checked, to)
        organisation.move(actor, self.app.clock(), code=checked, parent=to, reason=why)
        return self._ack(organisation, checked)

    def merge(self, actor: Actor, code: str, *, into: str, reason: str) -> UnitAck:
        """The department ``code`` becomes part of the department ``into``: matters
        are handed to ``into`` from now on. (The loop reads the scope of a station
        or community from its code, so those are not merged: register the new
        unit, give its people roles there and retire the old one.)"""
        checked, target = rules.code("code", code), rules.code("into", into)
        why = inputs.text("reason", reason, max_len=500)
        organisation = self._organisation()
        tree = self._tree_of(organisation)
        unit, other = self._known(tree, checked), self._known(tree, target)
        rules.check_organiser(actor, tree, checked)
        rules.check_organiser(actor, tree, target)
        if unit.kind != other.kind:
            raise InvalidInput(
                f"只能并入同类单位：{rules.kind_label(unit.kind)}不能并入"
                f"{rules.kind_label(other.kind)}",
                f"a {unit.kind} merges only into another {unit.kind}, not a {other.kind}",
                field="into",
            )
        if unit.kind != "department":
            raise InvalidInput(
                "只有管辖部门可以合并；派出所、社区请登记新单位后撤销旧单位",
                "only departments merge; register a new station or community and retire "
                "the old one",
                field="code",
            )
        self._refuse_accounts(checked, "merge")
        organisation.merge(actor, self.app.clock(), code=checked, into=target, reason=why)
        return self._ack(organisation, checked)

    def retire(self, actor: Actor, code: str, *, reason: str) -> UnitAck:
        """Retire a unit: refused while it owns or holds open incidents, while
        accounts hold a role in it, or while active units sit below it."""
        checked = rules.code("code", code)
        why = inputs.text("reason", reason, max_len=500)
        organisation = self._organisation()
        tree = self._tree_of(organisation)
        self._known(tree, checked)
        rules.check_organiser(actor, tree, checked)
        incidents = self.open_work.open_incidents(checked)
        if incidents:
            shown = "、".join(i[:8] for i in incidents[:10])
            raise InvalidInput(
                f"单位 {checked} 还有未办结的警情 {len(incidents)} 起：{shown}",
                f"The unit {checked} still has {len(incidents)} open incident(s): "
                + ", ".join(incidents[:10]),
                field="code",
                unit=checked,
                incidents=incidents,
            )
        self._refuse_accounts(checked, "retire")
        organisation.retire(actor, self.app.clock(), code=checked, reason=why)
        return self._ack(organisation, checked)

    # -- reading -----------------------------------------------------------------------------

    def history(self, code: str) -> list[dict[str, Any]]:
        """Every event of the registry concerning the unit: who, when, what, told
        with the names units had at the time."""
        tree = self.tree()
        if not tree.registered(code):
            self._known(tree, code)
        entries = []
        for event in self.app.events.get(ORGANISATION_ID):
            assert isinstance(event, Organisation.Event)
            named = {getattr(event, f, None) for f in ("code", "parent", "into", "previous")}
            if code not in named:
                continue
            zh, en = told_unit(event, tree)
            entries.append(
                {
                    "version": event.originator_version,
                    "event": type(event).__name__,
                    "at": event.timestamp.isoformat(),
                    "actor": vars(event.actor),
                    "sentence_zh": zh,
                    "sentence_en": en,
                }
            )
        return entries

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _tree_of(organisation: Organisation) -> UnitTree:
        return UnitTree.from_state(organisation.units, organisation.version)

    @staticmethod
    def _known(tree: UnitTree, code: str) -> Any:
        unit = tree.get(code)
        if unit is None:
            raise UnitNotFound(
                f"没有编码为 {code} 的单位", f"No unit has the code {code}", unit=code
            )
        return unit

    def _refuse_accounts(self, code: str, doing: str) -> None:
        holders = self.open_work.accounts_in(code)
        if holders:
            zh = "撤销" if doing == "retire" else "合并"
            raise InvalidInput(
                f"单位 {code} 还有 {len(holders)} 个启用的账号，不能{zh}："
                + "、".join(holders[:10]),
                f"The unit {code} still has {len(holders)} enabled account(s): "
                + ", ".join(holders[:10]),
                field="code",
                unit=code,
                accounts=holders,
            )

    def _ack(self, organisation: Organisation, code: str) -> UnitAck:
        position = self.app.commit(organisation)
        return UnitAck(code, organisation.version, position)
