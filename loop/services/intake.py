"""Reports from the public: a resident's report, from the public form or from
another app (an Open311 client), enters the loop already fed back.

A resident is not a volunteer: the incident records ``reporter_kind`` resident,
its reporter id is a pseudonymous subject id, and the resident's contact details
are personal data (encrypted per subject, erasable with ``lishu forget``, shown
only to the police and the audit). Such a report is not scored and earns no
points: the loop closes it once its outcome is recorded (``loop.rules.steps``).

The report is recorded as its discovery and its feeding back, in one
transaction. Its id may be fixed by the caller (an Open311 client's own id for
the request, or an idempotency key): the report is then made once, and a retry
finds the incident the first attempt made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from aggregates.actor import Actor
from aggregates.incident import RESIDENT_REPORTER, Incident
from aggregates.personal import PersonalData
from loop.errors import ConcurrencyConflict, IncidentNotFound, InvalidInput
from loop.rules import inputs, places, scrubbing, units
from loop.rules.units import UnitTree
from loop.rules.vocabulary import Channel, IntakeRole, Module, Sense, Urgency
from loop.services import personal
from loop.services.incidents import Ack, IncidentFlow

RESIDENT_ROLE = IntakeRole.RESIDENT.value
"""The role a resident acts in on the public form."""
CLIENT_ROLE = IntakeRole.INTAKE_CLIENT.value
"""The role another app (an Open311 client) acts in when it passes a report on."""
MAX_DESCRIPTION = 4000
"""GeoReport v2 limits a request's description to 4,000 characters."""
CONTACT_FIELDS = ("name", "phone")


class Report(NamedTuple):
    """What a resident reports, as the intake received it."""

    community: str
    module: str
    sense: str
    what: str
    where: str
    contact: Mapping[str, Any] | None = None
    point: tuple[Any, Any] | None = None
    media_url: str | None = None


def fixed_id(source: str, client: str, external_id: str) -> UUID:
    """The incident id a client's own id for its report fixes."""
    return uuid5(NAMESPACE_URL, f"lishu-loop:intake:{source}:{client}:{external_id}")


def checked_point(lat: Any, long: Any) -> dict[str, float]:
    """A WGS84 point: both coordinates, numbers within range."""
    found = {}
    for name, value, limit in (("lat", lat, 90.0), ("long", long, 180.0)):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidInput(f"「{name}」须为数字", f"'{name}' must be a number", field=name)
        try:
            number = float(value)
        except ValueError:
            raise InvalidInput(
                f"「{name}」须为数字", f"'{name}' must be a number", field=name
            ) from None
        if not -limit <= number <= limit:
            raise InvalidInput(
                f"「{name}」超出范围（±{limit:g}）",
                f"'{name}' is out of range (±{limit:g})",
                field=name,
            )
        found[name] = number
    return found


class ReportIdReused(InvalidInput):
    """A report sent again under the id of an earlier one, with other details."""

    code = "report_id_reused"


def _same(incident: Incident, report: Report) -> bool:
    """Whether ``report`` is the one ``incident`` recorded, compared as it was kept:
    its community (after placing), kind, text (scrubbed), point and contact."""
    given = {k: v for k, v in (report.contact or {}).items() if v not in (None, "")}
    held = incident.resident
    contact = dict(held.fields) if held is not None and not held.erased else given
    if held is not None and not held.erased and given != contact:
        return False
    if (held is None) != (not given):
        return False
    point = None if report.point is None else checked_point(*report.point)
    asked = [
        report.community,
        report.module,
        report.sense,
        scrubbing.scrubbed(str(report.what).strip(), contact),
        scrubbing.scrubbed(str(report.where).strip(), contact),
        point,
        report.media_url or None,
    ]
    kept = [
        incident.community,
        incident.module,
        incident.sense,
        incident.what,
        incident.where,
        incident.point,
        (incident.intake or {}).get("media_url"),
    ]
    return asked == kept


class Intake:
    """Residents' reports into the loop, over the one application store."""

    def __init__(self, flow: IncidentFlow, bounds: places.Bounds | None = None) -> None:
        self.flow = flow
        self.app = flow.app
        self.bounds = bounds
        """The county's bounds (``LISHU_COUNTY_BOUNDS``); None: no point is refused."""

    def placed(self, report: Report, communities: Iterable[str], tree: UnitTree) -> Report:
        """``report`` placed by its point, if it has one: refused outside the county's
        bounds, else in the community of ``communities`` whose registered centre is
        nearest (the community given, if any, gives way to the point). A report
        without a point, or with no centre registered, keeps the community given."""
        if report.point is None:
            return report
        point = places.Point(**checked_point(*report.point))
        places.check_inside(point, self.bounds)
        nearest = places.nearest_community(point, communities, tree)
        return report if nearest is None else report._replace(community=nearest)

    def report(
        self,
        actor: Actor,
        report: Report,
        *,
        source: str,
        client: str,
        external_id: str | None = None,
        incident_id: UUID | None = None,
    ) -> Ack:
        """Record a resident's report, discovered and fed back, in ``report.community``
        (which ``actor`` must act for). With ``incident_id`` the report is made once:
        an incident already there under that id, made by the same client, is
        answered as it is now."""
        if incident_id is not None:
            found = self._made_before(incident_id, client, report)
            if found is not None:
                return found
        incident = self._incident(actor, report, source, client, external_id, incident_id)
        try:
            position = self.app.commit(incident)
        except ConcurrencyConflict:
            if incident_id is None:
                raise
            again = self._made_before(incident_id, client)
            if again is None:
                raise
            return again
        return Ack(str(incident.id), incident.version, incident.stage, position)

    def check(self, actor: Actor, report: Report) -> None:
        """Refuse ``report`` as :meth:`report` would, recording nothing (the public
        form checks a report before it sends the code that will let it in)."""
        self._incident(actor, report, "check", "check", None, None)

    def _made_before(
        self, incident_id: UUID, client: str, report: Report | None = None
    ) -> Ack | None:
        """The incident made under ``incident_id`` by ``client``, if any: the same
        report again (as kept: placed, its text scrubbed, the same contact) is
        answered as it is now, another report under the same id is refused."""
        try:
            incident = self.flow.get(incident_id)
        except IncidentNotFound:
            return None
        if not incident.reported_by_resident or (incident.intake or {}).get("client") != client:
            raise InvalidInput(
                "该编号已用于另一起警情", "This id was used for another report", field="id"
            )
        if report is not None and not _same(incident, report):
            raise ReportIdReused(
                "该编号已用于内容不同的另一份反馈",
                "This id was used for a different report",
                field="external_id",
            )
        return Ack(str(incident.id), incident.version, incident.stage, None)

    def _incident(
        self,
        actor: Actor,
        report: Report,
        source: str,
        client: str,
        external_id: str | None,
        incident_id: UUID | None,
    ) -> Incident:
        community = inputs.text("community", report.community, max_len=100)
        if not units.is_community(community) or actor.unit != community:
            raise InvalidInput(
                "请选择警情所在的社区", "Choose the community it happened in", field="community"
            )
        details: dict[str, Any] = {
            "module": inputs.choice("module", report.module, Module),
            "sense": inputs.choice("sense", report.sense, Sense),
            "what": inputs.text("what", report.what, max_len=MAX_DESCRIPTION),
            "where": inputs.text("where", report.where, max_len=200),
        }
        contact = self._contact(report.contact)
        if contact is not None:  # what the event log and the read models keep in clear
            details["what"] = scrubbing.scrubbed(details["what"], contact.fields)
            details["where"] = scrubbing.scrubbed(details["where"], contact.fields)
        point = None if report.point is None else checked_point(*report.point)
        if point is not None:
            places.check_inside(places.Point(**point), self.bounds)
        media_url = None
        if report.media_url:
            media_url = inputs.text("media_url", report.media_url, max_len=500)
            if not media_url.startswith(("https://", "http://")):
                raise InvalidInput(
                    "「media_url」须为网址", "'media_url' must be an http(s) URL", field="media_url"
                )
        reporter_id = contact.subject_id if contact else personal.new_subject_id()
        at = self.app.clock()
        incident = Incident.discover(
            actor,
            at,
            self.flow.route("discovered", community, Urgency.GENERAL, at),
            occurred_at=at,
            reporter_id=reporter_id,
            community=community,
            incident_id=incident_id,
            reporter_kind=RESIDENT_REPORTER,
            resident=contact,
            point=point,
            intake={
                "source": source,
                "client": client,
                "external_id": external_id,
                "media_url": media_url,
            },
            **details,
        )
        incident.step(
            Incident.Reported,
            actor,
            at,
            self.flow.route("reported", community, Urgency.GENERAL, at),
            channel=Channel.APP.value,
            urgency=Urgency.GENERAL.value,
            self_handled_note=None,
        )
        return incident

    def _contact(self, given: Mapping[str, Any] | None) -> PersonalData | None:
        """The resident's contact details (name, phone), or None if he left none."""
        if not given:
            return None
        kept = {k: v for k, v in given.items() if v not in (None, "")}
        unknown = sorted(set(kept) - set(CONTACT_FIELDS))
        if unknown:
            raise InvalidInput(
                "联系方式只能包含姓名和电话",
                "contact details take a name and a phone number only",
                field="contact",
                unknown=unknown,
            )
        if not kept:
            return None
        return personal.person("resident", kept, self.app.key_store)
