"""Who may do what to which record: one lookup for commands, reads and masking.

Every action is granted by data written in the one vocabulary of
``loop.rules.access`` (roles, and the scope they must stand in to the record):
the loop's steps (``loop.rules.policy``), the volunteer and Happiness Bank
commands and the reads (here), who sees whose identity (``loop.rules.masking``),
and each new domain's own table, added to :data:`TABLES`. :func:`may` answers
"may this actor do X to this record"; :func:`refusal` is the one refusal.

A service asks in this order, so that a refusal tells nobody what he may not
know: :func:`check_role` before anything is loaded (a role that may never do X
is refused the same whether or not the record exists); then it loads the record
as the actor may see it (:func:`visible`: a record outside the actor's reads
is not found, exactly like one that does not exist); then :func:`check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aggregates.actor import Actor
from loop.errors import NotPermitted
from loop.rules import masking, policy
from loop.rules.access import UNIT_READERS, Grant, Record, grant
from loop.rules.intake_access import INTAKE_COMMANDS, INTAKE_GRANTS
from loop.rules.notices import NOTICE_COMMANDS, NOTICE_GRANTS
from loop.rules.organisation_access import ORGANISATION_COMMANDS, ORGANISATION_GRANTS
from loop.rules.stages import STAGES
from loop.rules.steps import STEPS
from loop.rules.talk_access import TALK_COMMANDS, TALK_GRANTS
from loop.rules.task_access import TASK_COMMANDS, TASK_GRANTS
from loop.rules.training_access import TRAINING_COMMANDS, TRAINING_GRANTS
from loop.rules.vocabulary import Role, label

R = Role
COMMUNITY_STAFF = (R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER)
STATION = grant([R.STATION_OFFICER], "station")

# -- volunteer and Happiness Bank commands ----------------------------------------------

GRANTS: dict[str, tuple[Grant, ...]] = {
    "apply": (grant([*COMMUNITY_STAFF, R.AUXILIARY], "community"),),
    # The employer's finding is obtained and recorded by the community.
    "review_employer": (grant([R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], "community"),),
    "review_community": (grant([R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], "community"),),
    "review_station": (grant([R.COMMUNITY_OFFICER], "community"), STATION),
    "admit": (grant([R.COMMUNITY_OFFICER], "community"), STATION),
    "join_team": (grant(COMMUNITY_STAFF, "community"), STATION),
    "change_status": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "donate": (grant(COMMUNITY_STAFF, "community"), STATION),
    "redeem": (grant([R.VOLUNTEER], "self"), grant(COMMUNITY_STAFF, "community")),
    "deduct": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "evaluate_month": (grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"), STATION),
    "award_honour": (
        grant([R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], "community"),
        STATION,
        grant([R.COUNTY_OFFICER, R.PUBLICITY_OFFICER], "county"),
    ),
}

COMMANDS = {
    "apply": ("录入入队申请", "record an application"),
    "review_employer": ("录入所在单位审核意见", "record the employer's review"),
    "review_community": ("录入社区审核意见", "record the community's review"),
    "review_station": ("录入派出所审核意见", "record the station's review"),
    "admit": ("吸纳义警", "admit a volunteer"),
    "join_team": ("编入专业队", "enrol in a specialty team"),
    "change_status": ("变更义警状态", "change a volunteer's status"),
    "donate": ("登记捐赠物品", "register donated goods"),
    "redeem": ("积分兑换", "redeem points"),
    "deduct": ("扣分", "deduct points"),
    "evaluate_month": ("月考评", "evaluate a month"),
    "award_honour": ("授予荣誉", "award an honour"),
}

# -- reads ------------------------------------------------------------------------------

STAFF_READ = grant(UNIT_READERS, "within")
OWN = grant([R.VOLUNTEER], "self")

READS: dict[str, tuple[Grant, ...]] = {
    # A station sees its own and its communities' records, an auditor everything in
    # his county, a volunteer his own reports, record and account.
    "read_incident": (STAFF_READ, OWN),
    "read_volunteer": (STAFF_READ, OWN),
    "read_account": (STAFF_READ, OWN),
    # The goods of a Happiness Bank: staff those within their unit and of the banks
    # above it, a volunteer his community's and its station's.
    "read_item": (STAFF_READ, grant([*UNIT_READERS, R.VOLUNTEER], "home")),
    # A unit's lists and figures; the publicity boards of a volunteer's community,
    # station and county; the leaderboard of his community.
    "read_unit": (STAFF_READ,),
    "read_publicity": (STAFF_READ, grant([R.VOLUNTEER], "home")),
    "read_leaderboard": (STAFF_READ, grant([R.VOLUNTEER], "community")),
    # Any record's whole history, unmasked, and the proof of the stored history.
    "audit": (grant([R.AUDITOR], "within"),),
}

READ_LABELS = {
    "read_incident": ("查看警情", "read this incident"),
    "read_volunteer": ("查看该义警的记录", "read this volunteer's records"),
    "read_account": ("查看该幸福银行账户", "read this points account"),
    "read_item": ("查看该物品", "read this item"),
    "read_unit": ("查看单位 {unit} 的数据", "read the data of unit {unit}"),
    "read_publicity": ("查看单位 {unit} 的典型宣传", "read the publicity board of unit {unit}"),
    "read_leaderboard": ("查看单位 {unit} 的积分排行", "read the leaderboard of unit {unit}"),
    "audit": ("审计", "audit"),
}

# -- the one lookup ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One domain's actions: who may take each, and each one's name (zh, en)."""

    grants: Mapping[str, tuple[Grant, ...]]
    labels: Mapping[str, tuple[str, str]]


TABLES: tuple[Table, ...] = (
    Table(policy.step_grants(), {"discover": ("录入警情", "record a discovery")}),
    Table(GRANTS, COMMANDS),
    Table(READS, READ_LABELS),
    Table(masking.sees(), {}),
    Table(TASK_GRANTS, TASK_COMMANDS),
    Table(NOTICE_GRANTS, NOTICE_COMMANDS),
    Table(TRAINING_GRANTS, TRAINING_COMMANDS),
    Table(INTAKE_GRANTS, INTAKE_COMMANDS),
    Table(ORGANISATION_GRANTS, ORGANISATION_COMMANDS),
    Table(TALK_GRANTS, TALK_COMMANDS),
)
"""Every domain's table; a new domain adds its own (see docs/architecture.md)."""


def compose(tables: tuple[Table, ...]) -> dict[str, tuple[Grant, ...]]:
    """Every table's grants by action; an action two tables grant is refused."""
    found: dict[str, tuple[Grant, ...]] = {}
    for table in tables:
        for action, grants in table.grants.items():
            if action in found:
                raise ValueError(f"the action {action!r} is granted by two tables")
            found[action] = grants
    return found


ACTIONS: dict[str, tuple[Grant, ...]] = compose(TABLES)
"""Who may take every action, by its name."""


def action_label(action: str, record: Record | None = None) -> tuple[str, str]:
    """(zh, en) of an action: a loop step's name, a command's, a read's (a read of
    a unit's data names the unit)."""
    if action in STEPS:
        return f"执行「{STEPS[action].zh}」", f"'{action}'"
    unit = record.unit if record is not None else "?"
    for table in TABLES:
        if action in table.labels:
            zh, en = table.labels[action]
            return zh.replace("{unit}", unit), en.replace("{unit}", unit)
    return action, action


def grants_for(action: str, record: Record | None = None) -> tuple[Grant, ...]:
    """The grants of ``action`` (those open at the record's stage, for a record)."""
    every = ACTIONS[action]
    if record is None:
        return every
    return tuple(g for g in every if g.stages is None or record.stage in g.stages)


def may(action: str, actor: Actor | None, record: Record) -> bool:
    """Whether ``actor`` may take ``action`` on ``record``."""
    return actor is not None and any(g.allows(actor, record) for g in ACTIONS[action])


def may_ever(action: str, actor: Actor) -> bool:
    """Whether some grant of ``action`` names the actor's role (somewhere, sometime)."""
    return any(actor.role in g.roles for g in ACTIONS[action])


def visible(actor: Actor | None, record: Record) -> bool:
    """Whether ``actor`` may read ``record`` (``read_<kind>``)."""
    return may(f"read_{record.kind}", actor, record)


def refusal(action: str, actor: Actor, record: Record | None = None) -> NotPermitted:
    """The one refusal, coded ``not_permitted``: who asked, what, and who may (the
    grants open at the record's stage; every grant when no record is named)."""
    zh_action, en_action = action_label(action, record)
    granted = grants_for(action, record)
    stage = record.stage if record is not None else None
    where_zh = (
        f"在「{STAGES.get(stage or '', '新建')}」阶段"
        if record and record.kind == "incident"
        else ""
    )
    where_en = f" at stage '{stage}'" if stage else ""
    who_zh = "；".join(
        f"{'、'.join(sorted(r.label for r in g.roles))}（{g.scope.label}）" for g in granted
    )
    who_en = "; ".join(f"{', '.join(sorted(g.roles))} ({g.scope.en})" for g in granted)
    details: dict[str, object] = {"action": action, "allowed": [g.shown() for g in granted]}
    if record is not None:
        details["unit"] = record.unit
        if record.kind == "incident":
            details["stage"] = stage
    return NotPermitted(
        f"「{label(actor.role)}」（{actor.unit}）无权{where_zh}{zh_action}；"
        f"可执行者：{who_zh or '无'}",
        f"Role '{actor.role}' in unit '{actor.unit}' may not {en_action}{where_en}; "
        f"allowed: {who_en or 'nobody'}",
        **details,
    )


def check_role(action: str, actor: Actor) -> None:
    """:func:`refusal` (naming no record) unless some grant of ``action`` names the
    actor's role: asked before the record is loaded."""
    if not may_ever(action, actor):
        raise refusal(action, actor)


def check(action: str, actor: Actor, record: Record) -> None:
    """:func:`refusal` unless ``actor`` may take ``action`` on ``record``."""
    if not may(action, actor, record):
        raise refusal(action, actor, record)
