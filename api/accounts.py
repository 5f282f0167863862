"""User accounts of the service: who logs in, in which role and unit.

An account is a history (``aggregates.account``, kept by
``loop.services.accounts.AccountDirectory``): its creation, role, disabling and
passwords are events with their actor and reason, covered by the hash chain.
Who may log in, in which role, is read from those events; the accounts table
(``projections.accounts``) is a read model of them for lists and searches, and
the password hashes and log-outs live apart (``api.credentials``). Passwords
are hashed as ``api.passwords`` says and must pass its policy; one set by an
administrator must be changed at the first log-in.

Every account has a token version, written into each token it is issued: the
account's count of session-ending events (a role given or taken, disabled, a
new password) plus its log-outs. So each of them ends every token issued
before (re-enabling does not lower it: old tokens stay dead).
:meth:`Accounts.session_user` is the one place a token's version is compared:
at once in the process that changed the account, within ``RECHECK_SECONDS`` in
every other (each process trusts an account it has read for that long).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.persistence import RecordConflictError
from sqlalchemy import inspect, text

from aggregates.account import Account
from aggregates.actor import Actor
from aggregates.errors import DomainError
from api import passwords
from api.credentials import Credentials
from api.passwords import hasher
from loop.errors import InvalidInput
from loop.services.accounts import AccountAck, AccountDirectory
from projections.account_queries import AccountQueries
from projections.store import Store

# Verified against when the username is unknown, so both cases take as long.
_DUMMY_HASH = hasher.hash("lishu-no-such-user")

RECHECK_SECONDS = 1.0
"""How long a process trusts an enabled account it read before reading it again."""
REMEMBERED = 10_000  # enabled accounts remembered; all are forgotten when there are more


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
    """Log-in and sessions over the accounts' events, the credentials and the read
    model; and, for the command line and tests, the account commands run directly."""

    def __init__(
        self,
        store: Store,
        directory: AccountDirectory,
        queries: AccountQueries,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.directory = directory
        self.queries = queries
        self.credentials = Credentials(store)
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._enabled: dict[str, tuple[float, User]] = {}

    def setup(self) -> None:
        self.credentials.setup()
        self._adopt_earlier()

    def _adopt_earlier(self) -> None:
        """Record the accounts of the earlier layout's table (``api_users``) as
        history, their hashes kept apart; each once, whichever process does it."""
        with self.store.read() as conn:
            if not inspect(conn).has_table("api_users"):
                return
            rows = conn.execute(text("SELECT * FROM api_users ORDER BY username")).all()
        for row in rows:
            if self.directory.find(row.username) is not None:
                continue
            try:
                self.directory.adopt(
                    username=row.username,
                    display_name=row.display_name,
                    role=row.role,
                    unit=row.unit,
                    disabled=bool(row.disabled),
                    must_change_password=bool(getattr(row, "must_change_password", False)),
                )
            except (DomainError, RecordConflictError):  # another process adopted it
                if self.directory.find(row.username) is None:
                    raise
            if self.credentials.read(row.username)[0] is None:
                self.credentials.store_hash(row.username, row.password_hash)

    # -- who is who -------------------------------------------------------------------

    def _user(self, account: Account, logouts: int) -> User | None:
        if account.role is None or account.unit is None:
            return None
        return User(
            account.username,
            account.role,
            account.unit,
            account.display_name,
            disabled=account.disabled,
            token_version=account.sessions + logouts,
            must_change_password=account.must_change_password,
        )

    def get(self, username: str) -> User | None:
        """The account holding a role, as its events say now (None: no such account,
        or one holding no role)."""
        account = self.directory.find(username)
        if account is None:
            return None
        return self._user(account, self.credentials.read(username)[1])

    def exists(self, username: str) -> bool:
        return self.directory.find(username) is not None

    def enabled(self, username: str) -> User | None:
        """The user, if the account exists, holds a role and is enabled: read at most
        ``recheck_seconds`` ago (by this process), else read now."""
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

    def changed(self, username: str) -> None:
        """Forget what this process knew of the account (after a command on it)."""
        self._enabled.pop(username, None)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, if the password is right and the account enabled with a role. A
        hash made with other parameters than today's is replaced."""
        stored, logouts = self.credentials.read(username)
        if stored is None:
            hasher.verify(password, _DUMMY_HASH)
            return None
        valid, newer = hasher.verify_and_update(password, stored)
        if not valid:
            return None
        account = self.directory.find(username)
        user = None if account is None else self._user(account, logouts)
        if user is None or user.disabled:
            return None
        if newer is not None:
            self.credentials.replace_hash(username, stored, newer)
        return user

    # -- passwords --------------------------------------------------------------------

    @staticmethod
    def hashed(password: str, username: str, display_name: str = "") -> str:
        """``password``'s hash, once it passes the policy (refused otherwise)."""
        passwords.check(password, username=username, display_name=display_name)
        return hasher.hash(password)

    def keep_hash(self, username: str, password_hash: str) -> None:
        """Store the hash of a password whose setting the account's events record."""
        self.credentials.store_hash(username, password_hash)
        self.changed(username)

    def revoke(self, username: str) -> None:
        """Log out everywhere: every token issued so far stops working."""
        self.credentials.log_out(username)
        self.changed(username)

    # -- the commands, run directly (the command line, tests) ---------------------------

    def create(
        self,
        username: str,
        password: str | None,
        *,
        role: str,
        unit: str,
        operator: Actor,
        display_name: str = "",
        must_change_password: bool = True,
        reason: str = "",
    ) -> User:
        """Create an account (events, then the hash of ``password`` if one is given):
        ``must_change_password`` unless the password is the demo's (public)."""
        password_hash = (
            None
            if password is None
            else self.hashed(password, username.strip(), display_name or username.strip())
        )
        how = None if password is None else ("one_time" if must_change_password else "public")
        ack = self.directory.create(
            operator,
            username=username,
            role=role,
            unit=unit,
            display_name=display_name,
            reason=reason,
            password=how,
        )
        if password_hash is not None:
            self.keep_hash(ack.username, password_hash)
        user = self.get(ack.username)
        assert user is not None
        return user

    def set_disabled(
        self, username: str, disabled: bool = True, *, operator: Actor, reason: str = "停用/启用"
    ) -> AccountAck:
        """Disable (every token stops working) or enable (old tokens stay dead)."""
        command = self.directory.disable if disabled else self.directory.enable
        try:
            return command(operator, username, reason=reason)
        finally:
            self.changed(username)

    def set_role(
        self, username: str, role: str, unit: str, *, operator: Actor, reason: str
    ) -> User:
        self.directory.grant(operator, username, role=role, unit=unit, reason=reason)
        self.changed(username)
        user = self.get(username)
        assert user is not None
        return user

    def set_password(
        self,
        username: str,
        password: str,
        *,
        operator: Actor | None = None,
        reason: str = "",
    ) -> None:
        """A new password (policy-checked); every token stops working. Set by an
        ``operator`` (an administrator) it must be changed at the next log-in; set
        without one it is the owner's own."""
        account = self.directory.find(username)
        if account is None:
            raise _no_such(username)
        password_hash = self.hashed(password, username, account.display_name)
        if operator is None:
            self.directory.change_password(username)
        else:
            self.directory.reset_password(operator, username, reason=reason)
        self.keep_hash(username, password_hash)

    def all(self) -> list[User]:
        """Every account holding a role, as the read model lists them."""
        found = []
        for row in self.queries.every_row():
            if row["role"] is None:
                continue
            found.append(
                User(
                    row["username"],
                    row["role"],
                    row["unit"],
                    row["display_name"],
                    disabled=bool(row["disabled"]),
                    must_change_password=bool(row["must_change_password"]),
                )
            )
        return found

    def count(self) -> int:
        return self.queries.count()
