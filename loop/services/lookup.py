"""Loading a service's records from the one store, or a coded not-found error."""

from __future__ import annotations

from uuid import UUID

from aggregates.incident import Incident
from aggregates.points_account import PointsAccount, account_id
from loop.errors import AccountNotFound, IncidentNotFound
from loop.storage.application import LoopApplication


def load_incident(app: LoopApplication, incident_id: UUID, version: int | None = None) -> Incident:
    """The incident, now or at ``version``; :class:`IncidentNotFound` if absent."""
    incident = app.find(incident_id, Incident, version)
    if incident is None:
        raise IncidentNotFound("警情不存在", "No such incident", incident_id=str(incident_id))
    return incident


def find_account(app: LoopApplication, volunteer_id: str) -> PointsAccount | None:
    """The volunteer's Happiness Bank account, or None if he was never admitted."""
    return app.find(account_id(volunteer_id), PointsAccount)


def points_account(app: LoopApplication, volunteer_id: str) -> PointsAccount:
    """The volunteer's Happiness Bank account; :class:`AccountNotFound` if the
    volunteer was never admitted (admission opens the account)."""
    account = find_account(app, volunteer_id)
    if account is None:
        raise AccountNotFound(
            f"义警 {volunteer_id} 尚未通过审核吸纳，没有幸福银行账户",
            f"Volunteer {volunteer_id} has not been admitted and has no Happiness Bank account",
            volunteer_id=volunteer_id,
        )
    return account
