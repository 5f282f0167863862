"""User accounts of the service: who logs in, in which role and unit.

Accounts live in a table of the read-model database (``api_users``), not in the
event log: they are access control, not facts of the loop. Passwords are hashed
with Argon2 (``pwdlib``); a disabled account cannot log in and its tokens stop
working: at once in the process that disabled it, within ``RECHECK_SECONDS`` in
every other (each process trusts an enabled account it has read for that long,
so a request costs no read of the accounts table).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pwdlib import PasswordHash
from sqlalchemy import Boolean, Column, DateTime, MetaData, Select, String, Table, select
from sqlalchemy.exc import IntegrityError

from aggregates.actor import Actor
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
)

_hasher = PasswordHash.recommended()
# Verified against when the username is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("lishu-no-such-user")


RECHECK_SECONDS = 1.0
"""How long a process trusts an enabled account it read before reading it again."""
REMEMBERED = 10_000  # enabled accounts remembered; all are forgotten when there are more


def _users() -> Select[tuple[str, str, str, str, bool]]:
    """The columns a :class:`User` is made of, in its order."""
    return select(
        users.c.username, users.c.role, users.c.unit, users.c.display_name, users.c.disabled
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

    @property
    def actor(self) -> Actor:
        """The actor every event this user causes records: never taken from a request."""
        return Actor(self.username, self.role, self.unit)


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

    def create(
        self, username: str, password: str, *, role: str, unit: str, display_name: str = ""
    ) -> User:
        username = username.strip()
        if not username or len(username) > 100 or any(c.isspace() for c in username):
            raise AccountError("用户名无效", "invalid username", field="username")
        if len(password) < 8:
            raise AccountError("密码至少 8 位", "the password needs 8 characters", field="password")
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
        taken = AccountError(
            f"用户名已存在：{username}", f"username taken: {username}", field="username"
        )
        try:
            self._insert(username, password, role, unit, display_name)
        except IntegrityError:  # another process created it first
            raise taken from None
        return User(username, role, unit, display_name or username)

    def _insert(self, username: str, password: str, role: str, unit: str, display: str) -> None:
        with self.store.write() as conn:
            if conn.execute(select(users.c.username).where(users.c.username == username)).first():
                raise IntegrityError("username taken", None, ValueError(username))
            conn.execute(
                users.insert(),
                {
                    "username": username,
                    "password_hash": _hasher.hash(password),
                    "role": role,
                    "unit": unit,
                    "display_name": display or username,
                    "disabled": False,
                    "created_at": datetime.now(UTC),
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

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right and the account enabled."""
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            _hasher.verify(password, _DUMMY_HASH)
            return None
        if not _hasher.verify(password, row.password_hash) or row.disabled:
            return None
        return User(row.username, row.role, row.unit, row.display_name)

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        self._enabled.pop(username, None)
        with self.store.write() as conn:
            done = conn.execute(
                users.update().where(users.c.username == username).values(disabled=disabled)
            )
        if done.rowcount != 1:
            raise AccountError(
                f"用户不存在：{username}", f"no such user: {username}", field="username"
            )

    def all(self) -> list[User]:
        with self.store.read() as conn:
            rows = conn.execute(_users().order_by(users.c.unit, users.c.username)).all()
        return [User(*r) for r in rows]

    def count(self) -> int:
        with self.store.read() as conn:
            return len(conn.execute(select(users.c.username).limit(1)).all())
