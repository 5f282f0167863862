"""``AccountDirectory``: log-in accounts as history.

Creating an account, giving and taking its role in a unit, disabling, enabling,
an administrator's password reset and the owner's new password are events of
the account's aggregate (``aggregates.account``), recorded with who did it,
when and why. Who may do which is ``loop.rules.organisation``'s; a role is
held in a registered unit of a kind the role allows. No password passes
through here: the HTTP service keeps the hashes apart and records here that a
password was set.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from aggregates.account import Account, login_id
from aggregates.actor import Actor
from loop.errors import AlreadyRegistered, InvalidInput, NotPermitted
from loop.rules import inputs
from loop.rules import organisation as rules
from loop.rules.admin_narration import told_account
from loop.rules.units import UnitTree
from loop.rules.vocabulary import Role
from loop.services.organisation import Registry
from loop.storage.application import LoopApplication

USERNAME = re.compile(r"^\S{1,100}$")
UPGRADE = "lishu-upgrade"
"""The actor of the events that record the accounts of the earlier layout."""
ADOPTED = "由旧版账号表转入 adopted from the accounts table of the earlier layout"


class AccountAck(NamedTuple):
    username: str
    version: int
    role: str | None
    unit: str | None
    disabled: bool
    position: int | None


class AccountNotFound(InvalidInput):
    code = "account_not_found"


def checked_username(value: Any) -> str:
    if not isinstance(value, str) or not USERNAME.match(value.strip()):
        raise InvalidInput(
            "用户名须为1至100个字符，不含空白",
            "a user name is 1-100 characters, no spaces",
            field="username",
        )
    return value.strip()


def checked_role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            f"未知角色：{value}", f"unknown role: {value}", field="role", allowed=list(Role)
        ) from None


class AccountDirectory:
    """Commands on log-in accounts, stored in the one application store ``app``."""

    def __init__(self, app: LoopApplication, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    # -- reading -------------------------------------------------------------------------

    def find(self, name: str) -> Account | None:
        """The account logging in as ``name`` as stored now, or None."""
        return self.app.find(login_id(name), Account)

    def get(self, name: str) -> Account:
        found = self.find(name)
        if found is None:
            raise AccountNotFound(
                f"用户不存在：{name}", f"no such user: {name}", field="username", username=name
            )
        return found

    def history(self, name: str) -> list[dict[str, Any]]:
        """The account's events in order: who did what, when, why."""
        account = self.get(name)
        tree = self.registry.tree()
        entries = []
        for event in self.app.events.get(account.id):
            assert isinstance(event, Account.Event)
            zh, en = told_account(event, tree)
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

    # -- commands ------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        *,
        username: str,
        role: str,
        unit: str,
        display_name: str = "",
        reason: str = "",
        password: str | None = None,
    ) -> AccountAck:
        """A new account holding ``role`` in ``unit``. ``password`` says who set its
        password, which the caller stores hashed, apart: ``one_time`` (the actor
        issued one, to be changed at the first log-in), ``owner`` (the first
        administrator chose his own), ``public`` (the demo's); None: it has none
        yet (an administrator resets it to give it one)."""
        name = checked_username(username)
        display = inputs.text("display_name", display_name or name, max_len=100)
        why = self._reason(reason, required=False)
        held = checked_role(role)
        tree = self.registry.tree()
        checked_unit = rules.code("unit", unit)
        if password not in (None, "one_time", "owner", "public") or (
            password == "owner" and actor.id != name
        ):
            raise InvalidInput(
                "密码只能由管理员设为一次性密码，或由本人设定",
                "a password is set by an administrator (one-time) or by its owner",
                field="password",
            )
        rules.check_manage(actor, tree, held, checked_unit)
        rules.check_role_in_unit(tree, held, checked_unit)
        if login_id(name) in self.app.repository:
            raise AlreadyRegistered(
                f"用户名已存在：{name}", f"username taken: {name}", field="username", username=name
            )
        at = self.app.clock()
        account = Account.create(
            actor,
            at,
            username=name,
            display_name=display,
            must_change_password=password != "owner",
            reason=why,
        )
        account.grant(actor, at, role=held.value, unit=checked_unit, reason=why)
        if password == "owner":
            account.change_password(Actor(name, held.value, checked_unit), at)
        elif password is not None:
            account.reset_password(actor, at, reason=why, one_time=password == "one_time")
        return self._ack(account)

    def first_administrator(
        self,
        *,
        username: str,
        display_name: str,
        county: str,
        county_name: str = "",
        county_name_en: str = "",
    ) -> AccountAck:
        """An installation's first administrator, who chooses his own password, in
        the county ``county`` (registered with him if the registry has no unit yet):
        one transaction. Refused once an enabled administrator exists (the caller
        asks the accounts read model)."""
        name = checked_username(username)
        admin = Actor(name, Role.ADMIN.value, rules.code("unit", county))
        with self.app.one_transaction():
            if not self.registry.tree().registered(admin.unit):
                if not county_name:
                    raise InvalidInput(
                        f"单位 {county} 未登记：请给出县公安局的名称",
                        f"the unit {county} is not registered: give the county bureau's name",
                        field="county_name",
                    )
                self.registry.found(
                    admin, code=admin.unit, name=county_name, name_en=county_name_en
                )
            ack = self.create(
                admin,
                username=name,
                role=Role.ADMIN,
                unit=admin.unit,
                display_name=display_name,
                reason="首个系统管理员 the first administrator",
                password="owner",
            )
        return ack._replace(position=self.app.recorder.max_notification_id())

    def adopt(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        unit: str,
        disabled: bool,
        must_change_password: bool,
    ) -> AccountAck | None:
        """An account of the layout before accounts were events (a row of its
        table), recorded as history by the upgrade (``lishu-upgrade``), its unit as
        it was; None if the account has a history already."""
        name = checked_username(username)
        if login_id(name) in self.app.repository:
            return None
        held = checked_role(role)
        actor = Actor(UPGRADE, Role.ADMIN.value, unit.split("/", 1)[0])
        at = self.app.clock()
        account = Account.create(
            actor,
            at,
            username=name,
            display_name=display_name or name,
            must_change_password=must_change_password,
            reason=ADOPTED,
        )
        account.grant(actor, at, role=held.value, unit=unit, reason=ADOPTED)
        account.reset_password(actor, at, reason=ADOPTED, one_time=must_change_password)
        if disabled:
            account.disable(actor, at, reason=ADOPTED)
        return self._ack(account)

    def grant(self, actor: Actor, name: str, *, role: str, unit: str, reason: str) -> AccountAck:
        """Give the account ``role`` in ``unit`` (its former role is revoked)."""
        held = checked_role(role)
        checked_unit = rules.code("unit", unit)
        why = self._reason(reason)
        account = self.get(name)
        tree = self.registry.tree()
        rules.check_manage(actor, tree, account.role, account.unit)
        rules.check_manage(actor, tree, held, checked_unit)
        rules.check_role_in_unit(tree, held, checked_unit)
        account.grant(actor, self.app.clock(), role=held.value, unit=checked_unit, reason=why)
        return self._ack(account)

    def revoke(self, actor: Actor, name: str, *, reason: str) -> AccountAck:
        why = self._reason(reason)
        account = self._managed(actor, name, "revoke")
        account.revoke(actor, self.app.clock(), reason=why)
        return self._ack(account)

    def disable(self, actor: Actor, name: str, *, reason: str) -> AccountAck:
        why = self._reason(reason)
        account = self._managed(actor, name, "disable")
        account.disable(actor, self.app.clock(), reason=why)
        return self._ack(account)

    def enable(self, actor: Actor, name: str, *, reason: str) -> AccountAck:
        why = self._reason(reason)
        account = self._managed(actor, name, "enable")
        account.enable(actor, self.app.clock(), reason=why)
        return self._ack(account)

    def reset_password(
        self, actor: Actor, name: str, *, reason: str, one_time: bool = True
    ) -> AccountAck:
        """Record that an administrator issued a one-time password (which the
        caller stores hashed, apart); it must be changed at the first log-in."""
        why = self._reason(reason, required=False)
        account = self._managed(actor, name, "reset")
        account.reset_password(actor, self.app.clock(), reason=why, one_time=one_time)
        return self._ack(account)

    def change_password(self, name: str) -> AccountAck:
        """Record that the owner chose a new password (checked and stored apart)."""
        account = self.get(name)
        if account.role is None or account.unit is None:
            raise NotPermitted("账号没有角色", "The account holds no role", username=name)
        owner = Actor(account.username, account.role, account.unit)
        account.change_password(owner, self.app.clock())
        return self._ack(account)

    # -- helpers ---------------------------------------------------------------------------

    def tree(self) -> UnitTree:
        return self.registry.tree()

    def _managed(self, actor: Actor, name: str, doing: str) -> Account:
        """The account, if ``actor`` may manage it (never his own, but a reset)."""
        account = self.get(name)
        rules.check_manage(actor, self.registry.tree(), account.role, account.unit)
        if account.username == actor.id and doing in ("revoke", "disable"):
            raise NotPermitted(
                "不能停用或撤销本人账号，请另一位管理员办理",
                "You cannot disable or revoke your own account; ask another administrator",
                username=name,
            )
        return account

    @staticmethod
    def _reason(value: Any, required: bool = True) -> str:
        if not required and (value is None or value == ""):
            return ""
        return inputs.text("reason", value, max_len=500)

    def _ack(self, account: Account) -> AccountAck:
        position = self.app.commit(account)
        return AccountAck(
            account.username,
            account.version,
            account.role,
            account.unit,
            account.disabled,
            position,
        )
