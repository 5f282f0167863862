"""The refusals of a duty task's own rules (``aggregates.task``)."""

from __future__ import annotations

from aggregates.errors import DomainError


class TaskRefused(DomainError):
    """A step the task's state does not allow."""

    code = "task_refused"


class SignUpClosed(TaskRefused):
    code = "sign_up_closed"


class AlreadySignedUp(TaskRefused):
    code = "already_signed_up"


class NotSignedUp(TaskRefused):
    code = "not_signed_up"


class OutsideCheckInWindow(TaskRefused):
    code = "outside_check_in_window"


class TaskClosed(TaskRefused):
    """Cancelled or completed: nothing more can be recorded on it."""

    code = "task_closed"
