"""Errors the loop raises for refused commands; each changes no state."""

from __future__ import annotations

from aggregates.errors import DomainError


class InvalidInput(DomainError):
    code = "invalid_input"


class IncidentNotFound(DomainError):
    code = "incident_not_found"


class IllegalStep(DomainError):
    """The step is not legal from the incident's current stage."""

    code = "illegal_step"


class NotPermitted(DomainError):
    """The actor's role or unit may not take this step on this incident."""

    code = "not_permitted"


class ConcurrencyConflict(DomainError):
    """Someone else changed the incident first; reload and try again."""

    code = "concurrency_conflict"


class VolunteerNotFound(DomainError):
    code = "volunteer_not_found"


class AccountNotFound(DomainError):
    """No Happiness Bank account under that volunteer id (or none the caller may
    read): the account a command or read names."""

    code = "account_not_found"


class NoPointsAccount(DomainError):
    """The incident's reporter has no Happiness Bank account: not (yet) admitted,
    so the loop cannot reward him."""

    code = "no_points_account"


class UnknownReporter(DomainError):
    """The volunteer the office names as reporter is not one of the community's
    volunteers on duty (or no volunteer at all: the answer is the same)."""

    code = "unknown_reporter"


class ItemNotFound(DomainError):
    code = "reward_item_not_found"


class AlreadyRegistered(DomainError):
    """An application, volunteer record or account exists already under that id."""

    code = "already_registered"


class NoticeNotFound(DomainError):
    code = "notice_not_found"


class TaskNotFound(DomainError):
    code = "task_not_found"


class VolunteerIneligible(DomainError):
    """The volunteer may not take this task: his status, duty, team or station."""

    code = "volunteer_ineligible"


class TrainingSessionNotFound(DomainError):
    code = "training_session_not_found"


class NotCertified(DomainError):
    """Under a duty gate, the volunteer is not yet certified (待岗培训): no task sign-up."""

    code = "not_certified"


class TrainingShort(DomainError):
    """Under a preset that restricts for a shortfall, the volunteer is short of the
    year's training days (常态化日常培训每年不得少于10天): no task sign-up."""

    code = "training_short"


class TrainingSuspended(DomainError):
    """A station officer suspended the volunteer for the year's missing training days."""

    code = "training_suspended"
