"""The one path every command takes, from the HTTP API and from the console.

A :class:`Command` says what is asked (its request and payload, which a reused
``Idempotency-Key`` is compared by), what runs on the group-commit writer (the
service's command, which checks who may first: a role that may never take it is
refused, and a record the user may not read is not found, exactly like one that
does not exist, so a refusal tells him nothing of it; ``loop.rules.permissions``)
and the typed answer.
:func:`execute` runs it as the logged-in user; with an ``Idempotency-Key`` the
first answer is kept (``api.idempotency``) and a retry gets it again, marked
``replayed``, without a second effect. Keeping the key with the command's events
changes this module only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from api.accounts import User
from api.idempotency import check_key
from api.services import Services
from loop.errors import ConcurrencyConflict

A = TypeVar("A", bound=BaseModel)


@dataclass(frozen=True)
class Command(Generic[A]):
    request: str
    """The operation and its target (``escalate:<incident id>``)."""
    body: BaseModel | None
    """The request's body (dumped to JSON only when a key needs it)."""
    run: Callable[[], Any]
    """On the writer: the service's command (its own permission check first)."""
    model: type[A]
    answer: Callable[[Any], A]
    """The service's answer as ``model``."""
    status: int = 200
    recover: Callable[[], A | None] | None = None
    """The answer of an earlier attempt with the same key whose answer was not
    kept (stored just before a crash, or by another process), if any: for a
    command whose key fixes the id of what it creates."""


def command(
    request: str, body: BaseModel | None, run: Callable[[], Any], model: type[A], status: int = 200
) -> Command[A]:
    """A command whose service answers a ``NamedTuple`` with ``model``'s fields."""
    return Command(
        request, body, run, model, lambda done: model.model_validate(done._asdict()), status
    )


async def execute(services: Services, user: User, key: str | None, asked: Command[A]) -> A:
    """Run ``asked`` as ``user``: its answer, or (for a key this user sent before
    with the same request) the first answer again, without running it."""
    if key is None:
        return asked.answer(await services.command(asked.run))
    key = check_key(key)
    answers = services.answers
    payload = None if asked.body is None else asked.body.model_dump(mode="json")
    digest = answers.digest(asked.request, payload)
    async with answers.locks.hold(user.username, key):
        kept = answers.find(user.username, key, digest)
        if kept is not None:
            return asked.model.model_validate({**kept[1], "replayed": True})
        found = asked.recover() if asked.recover else None
        if found is not None:
            return found
        try:
            answer = asked.answer(await services.command(asked.run))
        except ConcurrencyConflict:
            found = asked.recover() if asked.recover else None
            if found is None:
                raise
            return found  # what the earlier attempt, committed by another process, made
        answers.keep(user.username, key, digest, asked.status, answer.model_dump(mode="json"))
        return answer
