"""The one path every command takes, from the HTTP API and from the console.

A :class:`Command` says what is asked (its request and payload, which a reused
``Idempotency-Key`` is compared by), what runs on the group-commit writer (the
service's command, which checks who may first: a role that may never take it is
refused, and a record the user may not read is not found, exactly like one that
does not exist, so a refusal tells him nothing of it; ``loop.rules.permissions``)
and the typed answer.
:func:`execute` runs it as the logged-in user; with an ``Idempotency-Key`` the
record that the key was used, with the command's result, is stored in the same
transaction as the command's events (``api.idempotency``), and a retry, after any
crash, gets the first answer again, marked ``replayed``, without a second effect.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

from api.accounts import User
from api.idempotency import check_key, kept_as_result, key_reused
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
    """What an earlier attempt with the same key made, if its key record expired
    (kept ``idempotency_hours``) and running again conflicts with it: for a
    command whose key fixes the id of what it creates."""
    loads: tuple[UUID, ...] = ()
    """The aggregates ``run`` will load, if known: the writer loads those of a batch
    together before running it (``loop.storage.batch_loads``)."""


def command(
    request: str,
    body: BaseModel | None,
    run: Callable[[], Any],
    model: type[A],
    status: int = 200,
    loads: Iterable[UUID] = (),
) -> Command[A]:
    """A command whose service answers a ``NamedTuple`` with ``model``'s fields."""
    return Command(
        request,
        body,
        run,
        model,
        lambda done: model.model_validate(done._asdict()),
        status,
        loads=tuple(loads),
    )


def ids(*given: str | None, of: Callable[[str], UUID] = UUID) -> tuple[UUID, ...]:
    """The aggregate ids ``of`` what a route was given, for a command's ``loads``:
    what has none (no id, or text that is not one) is left out, for the command to
    refuse. A hint only: an id of nothing, or of another kind of record, changes no
    answer (``loop.storage.batch_loads``)."""
    found = []
    for text in given:
        if text is None:
            continue
        try:
            found.append(of(text))
        except ValueError:  # not an id (UUID), or text that cannot be encoded (uuid5)
            continue
    return tuple(found)


async def execute(services: Services, user: User, key: str | None, asked: Command[A]) -> A:
    """Run ``asked`` as ``user``: its answer, or (for a key this user sent before
    with the same request) the first answer again, without running it."""
    if key is None:
        return asked.answer(await services.command(asked.run, loads=asked.loads))
    key = check_key(key)
    answers = services.answers
    payload = None if asked.body is None else asked.body.model_dump(mode="json")
    once = answers.once(user.username, key, answers.digest(asked.request, payload))
    try:
        answered = await services.command_once(once, asked.run, loads=asked.loads)
    except ConcurrencyConflict:
        found = asked.recover() if asked.recover else None
        if found is None:
            raise
        return found  # what the key made before its record expired
    if not hmac.compare_digest(answered.request, once.request):
        raise key_reused()
    answer = asked.answer(kept_as_result(answered.answer, answered.position))
    return answer.model_copy(update={"replayed": True}) if answered.replayed else answer
