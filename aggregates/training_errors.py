"""The refusals of training's own rules (``aggregates.training`` and
``aggregates.training_record``)."""

from __future__ import annotations

from aggregates.errors import DomainError


class TrainingRefused(DomainError):
    """A step a training session's or a training record's state does not allow."""

    code = "training_refused"


class AttendanceRefused(TrainingRefused):
    code = "attendance_refused"


class RetakeTooSoon(TrainingRefused):
    """Another exam attempt inside the preset's cool-down."""

    code = "retake_too_soon"


class ExamRefused(TrainingRefused):
    code = "exam_refused"


class CertificationRefused(TrainingRefused):
    """The pre-duty days or the passed exam are not yet recorded."""

    code = "certification_refused"


class SuspensionRefused(TrainingRefused):
    """A suspension for a shortfall the record does not show, or a lifting of none."""

    code = "suspension_refused"
