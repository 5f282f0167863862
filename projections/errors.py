"""Errors of the read side, each with a code and zh-CN/English messages."""

from __future__ import annotations

from aggregates.errors import DomainError


class UnknownUnit(DomainError):
    code = "unknown_unit"


class UnknownProjection(DomainError):
    code = "unknown_projection"


class ProjectionNotReady(DomainError):
    """The projection has no caught-up build of this version yet (first build or
    a version change in progress); reads do not see a half-built table."""

    code = "projection_not_ready"


class InvalidQuery(DomainError):
    code = "invalid_query"
