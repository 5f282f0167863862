"""User accounts of the service: who logs in, in which role and unit.

Accounts live in a table of the read-model database (``api_users``), not in the
event log: they are access control, not facts of the loop. Passwords are hashed
as ``api.passwords`` says and must pass its policy; an account an administrator
made or reset must change its password at first log-in.

Every account has a token version, written into each token it is issued.
Logging out, being disabled, a new password and a new role or unit raise it, so
every token issued before stops working (re-enabling does not lower it, so old
tokens stay dead). :meth:`Accounts.session_user` is the one place a token's
version is compared: at once in the process that changed the account, within
``RECHECK_SECONDS`` in every other (each process trusts an account it has read
for that long, so a request costs no read of the accounts table).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from aggregates.actor import Actor
from api import passwords
from api.passwords import hasher
from loop.errors import InvalidInput
from loop.rules import units
from loop.rules.vocabulary import Role
from projections.store import Store

metadata = MetaData()
users = Table(
    "api_users",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("unit", String(200), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("token_version", Integer, nullable=False, default=0),
    Column("must_change_password", Boolean, nullable=False, default=False),
)
ADDED_COLUMNS = {
    "token_version": "INTEGER NOT NULL DEFAULT 0",
    "must_change_password": "BOOLEAN NOT NULL DEFAULT FALSE",
}
"""Columns a table made by an earlier version lacks, added on setup."""

# Verified against when the username is unknown, so both cases take as long.
_DUMMY_HASH = hasher.hash("lishu-no-such-user")


RECHECK_SECONDS = 1.0
"""How long a process trusts an enabled account it read before reading it again."""
REMEMBERED = 10_000  # enabled accounts remembered; all are forgotten when there are more


def _users() -> Select[tuple[str, str, str, str, bool, int, bool]]:
    """The columns a :class:`User` is made of, in its order."""
    return select(
        users.c.username,
        users.c.role,
        users.c.unit,
        users.c.display_name,
        users.c.disabled,
        users.c.token_version,
        users.c.must_change_password,
    )


class AccountError(InvalidInput):
    code = "account_refused"


@dataclass(frozen=True)
class User:
    username: str
    role: str
    unit: str
    display_name: str
    disabled: bool = False
    token_version: int = 0
    must_change_password: bool = False

    @property
    def actor(self) -> Actor:
        """The actor every event this user causes records: never taken from a request."""
        return Actor(self.username, self.role, self.unit)


def _no_such(username: str) -> AccountError:
    return AccountError(f"用户不存在：{username}", f"no such user: {username}", field="username")


class Accounts:
    def __init__(
        self,
        store: Store,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._enabled: dict[str, tuple[float, User]] = {}

    def setup(self) -> None:
        with self.store.write() as conn:
            metadata.create_all(conn)
        self._add_columns()

    def _add_columns(self) -> None:
        with self.store.read() as conn:
            present = {c["name"] for c in inspect(conn).get_columns("api_users")}
        for name, kind in ADDED_COLUMNS.items():
            if name in present:
                continue
            try:
                with self.store.write() as conn:
                    conn.execute(text(f"ALTER TABLE api_users ADD COLUMN {name} {kind}"))
            except (OperationalError, ProgrammingError):  # another process added it
                with self.store.read() as conn:
                    columns = inspect(conn).get_columns("api_users")
                if name not in {c["name"] for c in columns}:
                    raise

    def create(
        self,
        username: str,
        password: str,
        *,
        role: str,
        unit: str,
        display_name: str = "",
        must_change_password: bool = False,
    ) -> User:
        username = username.strip()
        if not username or len(username) > 100 or any(c.isspace() for c in username):
            raise AccountError("用户名无效", "invalid username", field="username")
        passwords.check(password, username=username, display_name=display_name)
        role, unit = self._checked_role(role, unit)
        taken = AccountError(
            f"用户名已存在：{username}", f"username taken: {username}", field="username"
        )
        try:
            self._insert(username, password, role, unit, display_name, must_change_password)
        except IntegrityError:  # another process created it first
            raise taken from None
        display = display_name or username
        return User(username, role, unit, display, must_change_password=must_change_password)

    @staticmethod
    def _checked_role(role: str, unit: str) -> tuple[str, str]:
        try:
            role = Role(role).value
        except ValueError:
            raise AccountError(
                f"未知角色：{role}", f"unknown role: {role}", field="role", allowed=list(Role)
            ) from None
        if units.level(unit) is None:
            raise AccountError(f"单位无效：{unit}", f"invalid unit: {unit}", field="unit")
        if role == Role.VOLUNTEER and not units.is_community(unit):
            raise AccountError(
                "义警账号须属于社区", "a volunteer's account belongs to a community", field="unit"
            )
        return role, unit

    def _insert(
        self, username: str, password: str, role: str, unit: str, display: str, change: bool
    ) -> None:
        with self.store.write() as conn:
            if conn.execute(select(users.c.username).where(users.c.username == username)).first():
                raise IntegrityError("username taken", None, ValueError(username))
            conn.execute(
                users.insert(),
                {
                    "username": username,
                    "password_hash": hasher.hash(password),
                    "role": role,
                    "unit": unit,
                    "display_name": display or username,
                    "disabled": False,
                    "created_at": datetime.now(UTC),
                    "token_version": 0,
                    "must_change_password": change,
                },
            )

    def get(self, username: str) -> User | None:
        with self.store.read() as conn:
            row = conn.execute(_users().where(users.c.username == username)).first()
        return None if row is None else User(*row)

    def enabled(self, username: str) -> User | None:
        """The user, if the account exists and is enabled: read from the table at
        most ``recheck_seconds`` ago (by this process), else read now."""
        now = self.clock()
        known = self._enabled.get(username)
        if known is not None and now - known[0] < self.recheck_seconds:
            return known[1]
        user = self.get(username)
        if user is None or user.disabled:
            self._enabled.pop(username, None)
            return None
        if len(self._enabled) >= REMEMBERED:
            self._enabled.clear()
        self._enabled[username] = (now, user)
        return user

    def session_user(self, username: str, token_version: int) -> User | None:
        """The enabled user a token of ``token_version`` still speaks for: the one
        place a token's version is checked."""
        user = self.enabled(username)
        if user is None or user.token_version != token_version:
            return None
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right and the account enabled. A hash made
        with other parameters than today's is replaced."""
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            hasher.verify(password, _DUMMY_HASH)
            return None
        valid, newer = hasher.verify_and_update(password, row.password_hash)
        if not valid or row.disabled:
            return None
        if newer is not None:
            self._update(username, users.c.password_hash == row.password_hash, password_hash=newer)
        return User(
            row.username,
            row.role,
            row.unit,
            row.display_name,
            token_version=row.token_version,
            must_change_password=row.must_change_password,
        )

    def _update(self, username: str, *where: Any, bump: bool = False, **values: Any) -> int:
        """Change one account's row; with ``bump``, its tokens stop working."""
        self._enabled.pop(username, None)
        if bump:
            values["token_version"] = users.c.token_version + 1
        with self.store.write() as conn:
            done = conn.execute(
                users.update().where(users.c.username == username, *where).values(**values)
            )
        return int(done.rowcount)

    def _change(self, username: str, *, bump: bool = True, **values: Any) -> None:
        if self._update(username, bump=bump, **values) != 1:
            raise _no_such(username)

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        """Disable (every token stops working) or enable (old tokens stay dead)."""
        self._change(username, bump=disabled, disabled=disabled)

    def revoke(self, username: str) -> None:
        """Log out everywhere: every token issued so far stops working."""
        self._change(username)

    def set_role(self, username: str, role: str, unit: str) -> User:
        role, unit = self._checked_role(role, unit)
        self._change(username, role=role, unit=unit)
        user = self.get(username)
        assert user is not None
        return user

    def set_password(self, username: str, password: str, by_administrator: bool = False) -> None:
        """A new password (policy-checked); every token stops working. One set by an
        administrator must be changed at the next log-in."""
        user = self.get(username)
        if user is None:
            raise _no_such(username)
        passwords.check(password, username=username, display_name=user.display_name)
        self._change(
            username, password_hash=hasher.hash(password), must_change_password=by_administrator
        )

    def all(self) -> list[User]:
        with self.store.read() as conn:
            rows = conn.execute(_users().order_by(users.c.unit, users.c.username)).all()
        return [User(*r) for r in rows]

    def count(self) -> int:
        with self.store.read() as conn:
            return len(conn.execute(select(users.c.username).limit(1)).all())
