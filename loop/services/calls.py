"""A resident's phone call, logged by the office as his report.

The officer who takes the call records it (the events name him as their actor);
the incident's reporter is the resident, a pseudonymous subject whose name and
phone are personal data, encrypted per subject and shown only to the police in
scope and the audit. Like any resident's report it is not scored and earns no
points: the loop closes it once its outcome is recorded (``loop.rules.steps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aggregates.incident import RESIDENT_REPORTER, VOLUNTEER_REPORTER
from aggregates.personal import PersonalData
from loop.errors import InvalidInput
from loop.rules.scrubbing import scrubbed
from loop.rules.vocabulary import Channel
from loop.services import personal
from loop.storage.keys import KeyStore

CALLER_FIELDS = ("name", "phone")
CLEAR_TEXT = ("what", "where")
"""The free text of a report that is kept in clear (the event log, the read models)."""


def reporter_kind(caller: PersonalData | None) -> str:
    """Who reported it: the calling resident, or (with no caller) a volunteer."""
    return VOLUNTEER_REPORTER if caller is None else RESIDENT_REPORTER


def resident_caller(
    given: Any, reporter_id: str | None, channel: str, keys: KeyStore
) -> PersonalData | None:
    """The calling resident's name (optional) and phone (required), checked, or None
    if no resident called: he is the reporter instead of a volunteer, and his report
    came by phone."""
    if given is None:
        return None
    if reporter_id is not None:
        raise InvalidInput(
            "来电群众与代录义警只能选择其一",
            "name either a volunteer or a calling resident, not both",
            fields=["reporter_id", "resident"],
        )
    if channel != Channel.PHONE.value:
        raise InvalidInput(
            "群众来电的反馈方式须为电话",
            "a resident's call is reported by phone",
            field="channel",
        )
    if not isinstance(given, Mapping):
        raise InvalidInput(
            "「resident」须为来电群众的姓名和电话",
            "'resident' must hold the caller's name and phone",
            field="resident",
        )
    kept = {k: v for k, v in given.items() if v not in (None, "")}
    unknown = sorted(set(kept) - set(CALLER_FIELDS))
    if unknown:
        raise InvalidInput(
            "来电群众只能填写姓名和电话",
            "a calling resident takes a name and a phone number only",
            field="resident",
            unknown=unknown,
        )
    if not isinstance(kept.get("phone"), str) or not kept["phone"].strip():
        raise InvalidInput(
            "请填写来电群众的电话", "the caller's phone number is required", field="resident.phone"
        )
    return personal.person("resident", kept, keys)


def without_caller(details: Mapping[str, Any], caller: PersonalData | None) -> dict[str, Any]:
    """``details`` with the calling resident's name and phone, typed into the
    description or the address too, replaced there as the public intake replaces
    a resident's own (``loop.rules.scrubbing``): neither reaches the log in clear."""
    kept = dict(details)
    if caller is not None and not caller.erased:
        for field in CLEAR_TEXT:
            if isinstance(kept.get(field), str):
                kept[field] = scrubbed(kept[field], caller.fields)
    return kept
