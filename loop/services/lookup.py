"""Loading a service's records from the one store, or a coded not-found error.

Given a ``reader``, a record the reader may not read (``loop.rules.permissions``)
is not found, exactly like one that does not exist: the refusal tells him
nothing of it.
"""

from __future__ import annotations

from uuid import UUID

from aggregates.actor import Actor
from aggregates.incident import Incident
from aggregates.points_account import PointsAccount, account_id
from loop.errors import AccountNotFound, IncidentNotFound, NoPointsAccount
from loop.rules import permissions
from loop.rules.access import account_record, incident_record
from loop.storage.application import LoopApplication


def load_incident(
    app: LoopApplication,
    incident_id: UUID,
    version: int | None = None,
    *,
    reader: Actor | None = None,
) -> Incident:
    """The incident, now or at ``version``; :class:`IncidentNotFound` if absent, or
    if ``reader`` may not read it."""
    incident = app.find(incident_id, Incident, version)
    if incident is None or (
        reader is not None and not permissions.visible(reader, incident_record(incident))
    ):
        raise IncidentNotFound("警情不存在", "No such incident", incident_id=str(incident_id))
    return incident


def find_account(app: LoopApplication, volunteer_id: str) -> PointsAccount | None:
    """The volunteer's Happiness Bank account, or None if he was never admitted."""
    return app.find(account_id(volunteer_id), PointsAccount)


def points_account(app: LoopApplication, volunteer_id: str) -> PointsAccount:
    """The reporter's Happiness Bank account for the loop's reward;
    :class:`NoPointsAccount` if the volunteer was never admitted (admission opens
    the account)."""
    account = find_account(app, volunteer_id)
    if account is None:
        raise NoPointsAccount(
            f"义警 {volunteer_id} 尚未通过审核吸纳，没有幸福银行账户",
            f"Volunteer {volunteer_id} has not been admitted and has no Happiness Bank account",
            volunteer_id=volunteer_id,
        )
    return account


def named_account(
    app: LoopApplication, volunteer_id: str, *, reader: Actor | None = None
) -> PointsAccount:
    """The account a command or read names; :class:`AccountNotFound` if there is
    none (the volunteer was never admitted), or if ``reader`` may not read it."""
    account = find_account(app, volunteer_id)
    if account is None or (
        reader is not None and not permissions.visible(reader, account_record(account))
    ):
        raise AccountNotFound(
            f"义警 {volunteer_id} 没有幸福银行账户（尚未通过审核吸纳，或无此义警）",
            f"No Happiness Bank account for {volunteer_id} (not admitted, or no such volunteer)",
            volunteer_id=volunteer_id,
        )
    return account
