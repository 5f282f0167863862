"""Importing a county's roll of volunteers (义警名册) from its own spreadsheet.

:meth:`RollImport.check` is the dry run: every row's problems, each with its
row number, column and reason (zh-CN and English), and nothing stored.
:meth:`RollImport.run` checks again and stores all the new rows in one
transaction, or none: for each, the application, the joint review "reviewed
offline, admitted by import" by the administrator who imported it, the
admission with its numbers, the Happiness Bank account and the volunteer's
log-in account (without a password: the administrator issues one). A row whose
volunteer is registered already is left as it is, so importing the same file
again adds nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aggregates.account import Account, login_id
from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.personal import PersonalData
from aggregates.points_account import PointsAccount
from aggregates.volunteer import REVIEWERS, Volunteer, volunteer_aggregate_id
from loop.errors import InvalidInput
from loop.rules import inputs, permissions
from loop.rules.counties import LISHU, CountyPreset, UnknownOccupation
from loop.rules.organisation_access import organisation_record
from loop.rules.scoring import ScoringPolicy
from loop.rules.units import UnitTree
from loop.rules.vocabulary import Role
from loop.services.organisation import Registry
from loop.services.roll_files import read_roll
from loop.services.volunteers import VOLUNTEER_ID, Volunteers, personal_details
from loop.storage.application import LoopApplication

COLUMNS: dict[str, tuple[str, ...]] = {
    "volunteer_id": ("编号", "volunteer_id"),
    "name": ("姓名", "name"),
    "phone": ("手机号码", "phone"),
    "id_number": ("身份证号", "id_number"),
    "address": ("住址", "address"),
    "employer": ("工作单位", "employer"),
    "occupation": ("职业", "occupation"),
    "community": ("社区编码", "community"),
    "party_member": ("党员", "party_member"),
}
"""Each field and the headings it is found under (the roll's zh-CN first)."""
OPTIONAL = frozenset({"party_member"})
YES, NO = frozenset({"是", "yes", "true", "1"}), frozenset({"", "否", "no", "false", "0"})
REVIEWED_OFFLINE = "名册导入：线下已联合审核 admitted by import, reviewed offline"


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    code: str
    message_zh: str
    message_en: str


@dataclass
class Report:
    rows: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class ImportAck(NamedTuple):
    imported: int
    existing: int
    position: int | None


class ImportRefused(InvalidInput):
    code = "import_refused"


class RollImport:
    def __init__(
        self,
        app: LoopApplication,
        registry: Registry,
        scoring: ScoringPolicy,
        county: CountyPreset = LISHU,
    ) -> None:
        self.app, self.registry, self.scoring, self.county = app, registry, scoring, county

    # -- the dry run ----------------------------------------------------------------------

    def check(self, actor: Actor, content: bytes, filename: str) -> Report:
        """Every row's problems; nothing stored."""
        header, rows = read_roll(content, filename)
        where = self._columns(header)
        tree = self.registry.tree()
        report = Report(rows=len(rows))
        seen: dict[str, dict[str, int]] = {"volunteer_id": {}, "phone": {}, "id_number": {}}
        for number, values in rows:
            given = {name: values[i] for name, i in where.items()}
            row, problems = self._row(actor, tree, number, given, seen)
            report.problems += problems
            if problems:
                continue
            if self.app.current_version(volunteer_aggregate_id(row["volunteer_id"])):
                report.existing.append(row["volunteer_id"])
            else:
                report.new.append(row)
        return report

    @staticmethod
    def _columns(header: list[str]) -> dict[str, int]:
        where: dict[str, int] = {}
        for name, headings in COLUMNS.items():
            found = [i for i, h in enumerate(header) if h in headings]
            if found:
                where[name] = found[0]
        missing = [COLUMNS[n][0] for n in COLUMNS if n not in where and n not in OPTIONAL]
        if missing:
            raise ImportRefused(
                f"缺少列：{'、'.join(missing)}（请检查是否选错了工作表）",
                f"missing columns: {', '.join(missing)} (is it the right sheet?)",
                field="file",
                missing=missing,
            )
        return where

    def _row(
        self,
        actor: Actor,
        tree: UnitTree,
        number: int,
        given: dict[str, str],
        seen: dict[str, dict[str, int]],
    ) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []

        def problem(column: str, zh: str, en: str, code: str = "invalid_input") -> None:
            problems.append(Problem(number, COLUMNS[column][0], code, zh, en))

        vid = given["volunteer_id"]
        if not VOLUNTEER_ID.match(vid):
            problem("volunteer_id", "编号须为1至64位字母、数字、点、横线或下划线", "bad id")
        try:
            details = personal_details(
                given["name"], given["phone"], given["id_number"], given["address"]
            )
        except DomainError as error:
            column = str(error.details.get("field", "name"))
            problem(column, error.message_zh, error.message_en, error.code)
            details = {}
        for column in ("volunteer_id", "phone", "id_number"):
            value = given[column]
            if value and value in seen[column]:
                first = seen[column][value]
                problem(
                    column,
                    f"与第 {first} 行重复",
                    f"the same as row {first}",
                    "duplicate",
                )
            seen[column].setdefault(value, number)
        occupation = self.county.known_occupation(given["occupation"])
        if occupation is None:
            county = self.county
            problem(
                "occupation",
                f"未知{county.placement[0]}「{given['occupation']}」，须为：{county.allowed_zh}",
                f"unknown {county.placement[1]} '{given['occupation']}' for {county.county[1]}; "
                f"allowed: {', '.join(county.occupations)}",
                UnknownOccupation.code,
            )
        community = given["community"]
        unit = tree.get(community)
        if unit is None or not unit.active or not tree.is_community(community):
            problem("community", f"未登记的社区「{community}」", f"unknown community '{community}'")
        elif not permissions.may("import_roll", actor, organisation_record(community)):
            problem(
                "community",
                f"社区「{community}」不在本人管辖范围",
                f"the community '{community}' is outside your unit",
                "not_permitted",
            )
        try:
            employer = inputs.text("employer", given["employer"], max_len=100)
        except DomainError as error:
            problem("employer", error.message_zh, error.message_en)
            employer = ""
        party = given.get("party_member", "").strip().lower()
        if party not in YES | NO:
            problem("party_member", "党员一栏须为「是」或「否」", "party member must be 是 or 否")
        row = {
            "volunteer_id": vid,
            "details": details,
            "employer": employer,
            "occupation": occupation,
            "community": community,
            "party_member": party in YES,
            "name": given["name"],
        }
        return row, problems

    # -- the import ---------------------------------------------------------------------------

    def run(self, actor: Actor, content: bytes, filename: str) -> ImportAck:
        """Store every new row, all in one transaction, or none (refused with the
        dry run's problems)."""
        report = self.check(actor, content, filename)
        if report.problems:
            shown = report.problems[:3]
            raise ImportRefused(
                f"名册有 {len(report.problems)} 处问题，未导入任何一行："
                + "；".join(f"第 {p.row} 行「{p.column}」{p.message_zh}" for p in shown),
                f"the roll has {len(report.problems)} problem(s); no row was imported: "
                + "; ".join(f"row {p.row} '{p.column}' {p.message_en}" for p in shown),
                field="file",
                problems=[vars(p) for p in report.problems[:1000]],
            )
        self.app.key_store.create_many([row["volunteer_id"] for row in report.new])
        at = self.app.clock()
        made: list[Any] = []
        for row in report.new:
            made += self._admitted(actor, at, row)
        position = self.app.commit(*made) if made else None
        return ImportAck(len(report.new), len(report.existing), position)

    def _admitted(self, actor: Actor, at: Any, row: dict[str, Any]) -> list[Any]:
        vid = row["volunteer_id"]
        volunteer = Volunteer.apply_to_join(
            actor,
            at,
            volunteer_id=vid,
            personal=PersonalData(vid, row["details"]),
            employer=row["employer"],
            occupation=row["occupation"],
            community=row["community"],
            party_member=row["party_member"],
        )
        for reviewer in REVIEWERS:
            volunteer.review(
                actor, at, reviewer=reviewer, approved=True, criminal_record=False,
                note=REVIEWED_OFFLINE,
            )  # fmt: skip
        archive_no, letter_no, armband_no = Volunteers._numbers(volunteer, at)
        volunteer.admit(
            actor, at, archive_no=archive_no, letter_no=letter_no, armband_no=armband_no
        )
        account = PointsAccount.open(
            actor,
            at,
            volunteer_id=vid,
            community=row["community"],
            base_points=self.scoring.base_points,
        )
        account.restar(actor, at, self.scoring.star_level(account.score))
        made: list[Any] = [volunteer, account]
        if not self.app.current_version(login_id(vid)):
            login = Account.create(
                actor,
                at,
                username=vid,
                display_name=row["name"],
                must_change_password=True,
                reason=REVIEWED_OFFLINE,
            )
            login.grant(
                actor, at, role=Role.VOLUNTEER.value, unit=row["community"], reason=REVIEWED_OFFLINE
            )
            made.append(login)
        return made
