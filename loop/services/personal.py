"""Personal data in the loop: checking what is entered, keeping it out of
publicity, and forgetting a person.

Forgetting (``forget``) destroys the person's key in the key store and records
an :class:`Erasure` event saying who erased whom, when and why, never the data.
Every event that held the person's data stays stored byte for byte, so the hash
chain still verifies, and replays with the fields shown as 已删除. A volunteer is
forgotten by his volunteer id: his application's details have it as subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import RecordConflictError

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.personal import Erasure, PersonalData
from aggregates.volunteer import volunteer_aggregate_id
from loop.errors import InvalidInput, NotPermitted
from loop.rules import inputs
from loop.rules.vocabulary import Role
from loop.storage.keys import KeyStore, forgotten_error

if TYPE_CHECKING:
    from aggregates.incident import Incident
    from loop.storage.application import LoopApplication

# The fields a report may hold about an informant or a victim, with their labels.
PERSON_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "id_number": ("身份证号", "ID number"),
    "address": ("住址", "address"),
}
MAX_VICTIMS = 20
PHONE = re.compile(r"\+?[0-9][0-9 -]{4,19}")
ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")
SUBJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
SEPARATORS = re.compile(r"[\s\-.()（）]+")
ERASERS = frozenset({Role.ADMIN})


class PersonalDataInText(DomainError):
    """Text meant for the public contains a person's data held for the incident."""

    code = "personal_data_in_text"


class SubjectNotFound(DomainError):
    code = "subject_not_found"


class AlreadyForgotten(DomainError):
    code = "already_forgotten"


def new_subject_id() -> str:
    return f"person-{uuid4().hex}"


def person(field: str, value: Any, keys: KeyStore) -> PersonalData:
    """Checks one person's data as entered: a :class:`PersonalData`, or a mapping of
    :data:`PERSON_FIELDS` (with an optional ``subject_id`` naming a known person;
    without one a new subject id is minted)."""
    if isinstance(value, PersonalData):
        if value.erased:
            raise InvalidInput(
                f"「{field}」是已删除的个人信息",
                f"'{field}' holds erased data",
                field=field,
            )
        subject_id, given = value.subject_id, dict(value.fields)
    elif isinstance(value, Mapping):
        given = dict(value)
        subject_id = given.pop("subject_id", "") or new_subject_id()
    else:
        raise InvalidInput(
            f"「{field}」须为个人信息（姓名、电话、身份证号、住址）",
            f"'{field}' must be personal data (name, phone, id_number, address)",
            field=field,
        )
    if not isinstance(subject_id, str) or not SUBJECT_ID.fullmatch(subject_id):
        raise InvalidInput(
            f"「{field}」的人员编号无效", f"'{field}' has an invalid subject id", field=field
        )
    unknown = sorted(set(given) - set(PERSON_FIELDS))
    if unknown or not given:
        raise InvalidInput(
            f"「{field}」只能包含：{'、'.join(zh for zh, _ in PERSON_FIELDS.values())}，且不能为空",
            f"'{field}' takes one or more of: {', '.join(PERSON_FIELDS)}",
            field=field,
            unknown=unknown,
        )
    fields = {name: inputs.text(f"{field}.{name}", given[name], max_len=200) for name in given}
    if "phone" in fields and not PHONE.fullmatch(fields["phone"]):
        raise InvalidInput("电话号码格式不正确", "not a phone number", field=f"{field}.phone")
    if "id_number" in fields and not ID_NUMBER.fullmatch(fields["id_number"]):
        raise InvalidInput(
            "身份证号须为15位或18位",
            "an ID number has 15 or 18 characters",
            field=f"{field}.id_number",
        )
    if keys.forgotten(subject_id):
        raise forgotten_error(subject_id, field=field)
    return PersonalData(subject_id, fields)


def people(field: str, values: Any, keys: KeyStore) -> list[PersonalData]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_VICTIMS:
        raise InvalidInput(
            f"「{field}」须为至多{MAX_VICTIMS}人的列表",
            f"'{field}' must be a list of at most {MAX_VICTIMS} people",
            field=field,
        )
    return [person(f"{field}[{i}]", v, keys) for i, v in enumerate(values)]


def _squeezed(text: str) -> str:
    """``text`` without spaces, dashes and dots, as numbers are often written."""
    return SEPARATORS.sub("", text).lower()


def _appears(value: str, text: str) -> bool:
    return len(value) >= 2 and (value in text or _squeezed(value) in _squeezed(text))


def check_redacted(field: str, text: str, incident: Incident) -> None:
    """Refuses public text that contains a personal value held for the incident
    (numbers also when written with spaces or dashes) or its reporter's id."""
    found = sorted(
        {
            name
            for held in [incident.informant, *incident.victims, incident.resident]
            if held is not None and not held.erased
            for name in held.names
            if _appears(held.fields[name], text)
        }
    )
    if _appears(incident.reporter_id, text):
        found.append("reporter_id")
    if found:
        labels = {**PERSON_FIELDS, "reporter_id": ("发现人编号", "reporter id")}
        raise PersonalDataInText(
            f"「{field}」含有个人信息（{'、'.join(labels[n][0] for n in found)}），请脱敏后再宣传",
            f"'{field}' contains personal data ({', '.join(labels[n][1] for n in found)}); "
            "redact it first",
            field=field,
            found=found,
        )


class ErasureAck(NamedTuple):
    subject_id: str
    erasure_id: str
    key_destroyed: bool
    position: int | None
    # The person is a volunteer whose details were recorded before they were
    # encrypted (no key was ever made): reads show them erased, but the old
    # events still hold them in plain text.
    plaintext_remains: bool = False


def forget(app: LoopApplication, actor: Actor, subject_id: str, reason: str) -> ErasureAck:
    """Forget a person: destroy their key, then record who erased them, when, why.

    Allowed to the administrator role. Destroying is idempotent, so if recording
    fails after it, forgetting again completes the record.
    """
    subject_id = inputs.text("subject_id", subject_id, max_len=100)
    reason = inputs.text("reason", reason, max_len=500)
    if actor.role not in ERASERS:
        raise NotPermitted(
            "只有系统管理员可以删除个人信息",
            "Only an administrator may erase personal data",
            role=actor.role,
        )
    erasure_id = Erasure.id_for(subject_id)
    try:
        app.repository.get(erasure_id)
    except AggregateNotFoundError:
        pass
    else:
        raise _already(subject_id)
    keys = app.key_store
    keyless = not keys.exists(subject_id) and not keys.forgotten(subject_id)
    legacy = keyless and _is_volunteer(app, subject_id)
    if keyless and not legacy:
        raise SubjectNotFound(
            "没有此人的个人信息", "No personal data is held for this person", subject_id=subject_id
        )
    destroyed = keys.destroy(subject_id)
    app.batch_repository.forget()  # the writer's cache held the person's data decrypted
    erasure = Erasure.record(actor, app.clock(), subject_id, reason)
    try:
        recordings = app.save(erasure)
    except RecordConflictError:
        raise _already(subject_id) from None
    position = recordings[-1].notification.id if recordings else None
    return ErasureAck(subject_id, str(erasure_id), destroyed, position, legacy)


def _is_volunteer(app: LoopApplication, subject_id: str) -> bool:
    """Whether a volunteer record exists under ``subject_id`` (a volunteer's
    personal details have his volunteer id as their subject)."""
    return volunteer_aggregate_id(subject_id) in app.repository


def erasure_record(app: LoopApplication, subject_id: str) -> dict[str, Any] | None:
    """Who erased the person, when and why; ``None`` if never erased."""
    try:
        erasure: Erasure = app.repository.get(Erasure.id_for(subject_id))
    except AggregateNotFoundError:
        return None
    return {
        "subject_id": erasure.subject_id,
        "erased_at": erasure.created_on.isoformat(),
        "actor": vars(erasure.actor),
        "reason": erasure.reason,
    }


def _already(subject_id: str) -> AlreadyForgotten:
    return AlreadyForgotten(
        "此人的个人信息已删除", "This person was already forgotten", subject_id=subject_id
    )
