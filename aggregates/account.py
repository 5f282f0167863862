"""The Account aggregate: one person's log-in, as a history.

Creating the account, granting and revoking its role in a unit, disabling and
enabling it, an administrator's password reset (a one-time password, to be
changed at the first log-in) and the owner's own new password are events with
their actor, time and reason, covered by the hash chain like every other. No
password and no hash is ever in an event: the hashes live in a credentials
table apart (``api.credentials``).

An account holds one role in one unit at a time; granting another replaces it
(the old role is revoked in the same step). Each event that must end the
account's sessions (a new role, its revocation, disabling, a new password)
raises ``sessions``, which every token carries (with the log-outs counted apart),
once the account has a password: before, no session of it can exist, so a new
account's tokens start at zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import AccountRefused


def login_id(username: str) -> UUID:
    """The aggregate id of the account logging in as ``username``."""
    return uuid5(NAMESPACE_URL, f"lishu:login:{username}")


class Account(Aggregate):
    """A log-in: who, in which role and unit, enabled or not."""

    class Event(Aggregate.Event):
        actor: Actor

    class Created(Event, Aggregate.Created):
        username: str
        display_name: str
        must_change_password: bool  # a password someone else chose (or none yet)
        reason: str

    class RoleGranted(Event):
        role: str
        unit: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.role = self.role
            aggregate.unit = self.unit
            aggregate.end_sessions()

    class RoleRevoked(Event):
        role: str
        unit: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.role = None
            aggregate.unit = None
            aggregate.end_sessions()

    class Disabled(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = True
            aggregate.end_sessions()

    class Enabled(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = False

    class PasswordReset(Event):
        """Someone other than the owner set the password: an administrator's
        one-time password, to be changed at the first log-in (``one_time``), or
        the demo's public one."""

        reason: str
        one_time: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.must_change_password = self.one_time
            aggregate.end_sessions()
            aggregate.has_password = True

    class PasswordChanged(Event):
        """The owner chose a new password."""

        def apply(self, aggregate: Any) -> None:
            aggregate.must_change_password = False
            aggregate.end_sessions()
            aggregate.has_password = True

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (the event keeps it)
        username: str,
        display_name: str,
        must_change_password: bool,
        reason: str,  # noqa: ARG002
    ) -> None:
        self.username = username
        self.display_name = display_name
        self.must_change_password = must_change_password
        self.role: str | None = None
        self.unit: str | None = None
        self.disabled = False
        self.has_password = False
        self.sessions = 0

    def end_sessions(self) -> None:
        """Count an event that ends every session (none exists without a password)."""
        if self.has_password:
            self.sessions += 1

    @classmethod
    def create(
        cls,
        actor: Actor,
        at: datetime,
        *,
        username: str,
        display_name: str,
        must_change_password: bool,
        reason: str,
    ) -> Account:
        return cls._create(
            cls.Created,
            id=login_id(username),
            timestamp=at,
            actor=actor,
            username=username,
            display_name=display_name,
            must_change_password=must_change_password,
            reason=reason,
        )

    def grant(self, actor: Actor, at: datetime, *, role: str, unit: str, reason: str) -> None:
        """Give the account ``role`` in ``unit``, revoking the role it held."""
        if self.role == role and self.unit == unit:
            raise AccountRefused(
                f"账号 {self.username} 已在该单位担任此角色",
                f"{self.username} already holds this role in this unit",
                role=role,
                unit=unit,
            )
        if self.role is not None:
            self.revoke(actor, at, reason=reason)
        self.trigger_event(
            self.RoleGranted, actor=actor, timestamp=at, role=role, unit=unit, reason=reason
        )

    def revoke(self, actor: Actor, at: datetime, *, reason: str) -> None:
        if self.role is None or self.unit is None:
            raise AccountRefused(
                f"账号 {self.username} 没有角色可撤销", f"{self.username} holds no role"
            )
        self.trigger_event(
            self.RoleRevoked,
            actor=actor,
            timestamp=at,
            role=self.role,
            unit=self.unit,
            reason=reason,
        )

    def disable(self, actor: Actor, at: datetime, *, reason: str) -> None:
        if self.disabled:
            raise AccountRefused(f"账号 {self.username} 已停用", f"{self.username} is disabled")
        self.trigger_event(self.Disabled, actor=actor, timestamp=at, reason=reason)

    def enable(self, actor: Actor, at: datetime, *, reason: str) -> None:
        if not self.disabled:
            raise AccountRefused(f"账号 {self.username} 未停用", f"{self.username} is enabled")
        self.trigger_event(self.Enabled, actor=actor, timestamp=at, reason=reason)

    def reset_password(
        self, actor: Actor, at: datetime, *, reason: str, one_time: bool = True
    ) -> None:
        self.trigger_event(
            self.PasswordReset, actor=actor, timestamp=at, reason=reason, one_time=one_time
        )

    def change_password(self, actor: Actor, at: datetime) -> None:
        self.trigger_event(self.PasswordChanged, actor=actor, timestamp=at)
