"""County presets: which rules and which words one deployment uses.

A county chooses its preset with the ``policy`` setting (``LISHU_POLICY``:
``lishu``, ``fuping`` or ``gucheng``). The preset names the loop's step rules and
deadlines (``loop.rules.policy``), the scoring preset (``loop.rules.scoring``;
the ``scoring`` setting may still name another or a TOML file), the duty task and
training rules (``loop.rules.tasks``, ``loop.rules.training``; unnamed, those of
the scoring preset, as before presets), and its vocabulary: what a volunteer is
placed in on admission (Lishu's occupations, Fuping's 蓝马甲 squads, Gucheng's
duty roles), each also his squad, and the specialty teams.

The tables themselves stay where they are; a preset only names them. Every
preset's words stay known to every deployment (:func:`occupation_label`), so a
record made under another preset, or before presets, still reads.

Lishu: "吸纳外卖员、快递员、抄表员、出租车司机、环卫工人、城管和群众志愿者为'义警'".
Fuping: "2600余名身份不同、专技有别的'蓝马甲'治安志愿者", trained "根据'八大员'需求"
(the text does not list them: the squads below follow the work it describes,
marked default). Gucheng: "將義警劃分為治安防范員等六員職責" and "七聯勤務: 聯訓聚焦實戰…
聯巡…聯守做好'護校崗'；聯調…聯防…聯網'關注網上動態'；聯宣協助法制宣傳" (the text names
one of the six: the others are named after the 七联 duty each serves, 联训 being
everyone's training), and its teams "救援義警隊、巾幗義警隊、青年義警隊、義警調解室、
老兵義警隊、守望員義警隊".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from aggregates.volunteer import OCCUPATIONS, TEAMS
from loop.errors import InvalidInput
from loop.rules.scoring import ScoringPolicy
from loop.rules.tasks import TASK_PRESETS, TaskPolicy, task_policy_for
from loop.rules.training import TRAINING_PRESETS, TrainingPolicy, training_policy_for

Words = Mapping[str, tuple[str, str]]  # code -> (zh-CN, English)


def _words(**entries: tuple[str, str]) -> Words:
    return MappingProxyType(dict(entries))


LISHU_OCCUPATIONS = _words(
    delivery_rider=(OCCUPATIONS["delivery_rider"], "Delivery rider"),
    courier=(OCCUPATIONS["courier"], "Courier"),
    meter_reader=(OCCUPATIONS["meter_reader"], "Meter reader"),
    taxi_driver=(OCCUPATIONS["taxi_driver"], "Taxi driver"),
    sanitation_worker=(OCCUPATIONS["sanitation_worker"], "Sanitation worker"),
    city_management=(OCCUPATIONS["city_management"], "City management"),
    resident_volunteer=(OCCUPATIONS["resident_volunteer"], "Resident volunteer"),
)

FUPING_SQUADS = _words(  # default: the work the Fuping text describes, one squad each
    bv_patrol=("巡逻防控分队", "Patrol squad"),  # 日常 守护平安 / 巡逻 排除险情
    bv_publicity=("法治宣传分队", "Legal publicity squad"),  # 法治宣传 / "反诈"上门宣讲
    bv_mediation=("矛盾调解分队", "Mediation squad"),  # 累计化解矛盾纠纷280余起
    bv_flood_rescue=("防汛救援分队", "Flood and rescue squad"),  # 防汛 严阵以待
    bv_information=("信息收集分队", "Information squad"),  # 提供各类有价值线索1800余条
    bv_drowning=("防溺水宣传分队", "Drowning prevention squad"),  # 防溺水宣传32000余人次
)

GUCHENG_DUTIES = _words(  # 六员职责, each serving one of the 七联 duties
    gc_security=("治安防范员", "Security guard"),  # named in the text; 联巡
    gc_school_guard=("护校守望员", "School guard"),  # 联守 "护校岗"
    gc_mediator=("矛盾调解员", "Mediator"),  # 联调
    gc_carer=("关爱帮扶员", "Carer"),  # 联防 "关爱弱势群体、收集民意"
    gc_online=("网络监督员", "Online watcher"),  # 联网 "关注网上动态"
    gc_publicity=("法制宣传员", "Legal publicist"),  # 联宣
)

TEAM_WORDS = _words(
    rescue=(TEAMS["rescue"], "Rescue team"),
    women=(TEAMS["women"], "Women's team"),
    youth=(TEAMS["youth"], "Youth team"),
    mediation=(TEAMS["mediation"], "Mediation room"),
    veterans=(TEAMS["veterans"], "Veterans' team"),
    watchers=(TEAMS["watchers"], "Watchers' team"),
)


@dataclass(frozen=True)
class CountyPreset:
    """One county's choice of rules and words."""

    name: str
    county: tuple[str, str]  # zh-CN, English
    placement: tuple[str, str]  # what the admission form calls the choice below
    occupations: Words  # the choice on admission, each also the volunteer's squad
    teams: Words = field(default_factory=lambda: TEAM_WORDS)
    policy: str = "lishu"  # loop.rules.policy.PRESETS: steps and deadlines
    scoring: str = "lishu"  # loop.rules.scoring.SCORING_PRESETS
    tasks: str | None = None  # loop.rules.tasks.TASK_PRESETS; None: the scoring preset's
    training: str | None = None  # loop.rules.training.TRAINING_PRESETS; likewise
    join_form: tuple[str, str] = ("义警报名", "Volunteer application")

    def task_policy(self, scoring: ScoringPolicy) -> TaskPolicy:
        return TASK_PRESETS[self.tasks] if self.tasks else task_policy_for(scoring)

    def training_policy(self, scoring: ScoringPolicy) -> TrainingPolicy:
        return TRAINING_PRESETS[self.training] if self.training else training_policy_for(scoring)

    def known_occupation(self, value: Any) -> str | None:
        """The code ``value`` names (its code or its zh-CN name) among this county's."""
        if isinstance(value, str):
            for code, (zh, _) in self.occupations.items():
                if value.strip() in (code, zh):
                    return code
        return None

    @property
    def allowed_zh(self) -> str:
        return "、".join(zh for zh, _ in self.occupations.values())

    def occupation(self, value: Any, field_name: str = "occupation") -> str:
        """The code ``value`` names among this county's; refused, listing them, otherwise."""
        code = self.known_occupation(value)
        if code is not None:
            return code
        raise UnknownOccupation(
            f"「{self.placement[0]}」须为本县（{self.county[0]}）所设之一：{self.allowed_zh}",
            f"'{field_name}' must be one of {self.county[1]}'s {self.placement[1]} values: "
            + ", ".join(self.occupations),
            field=field_name,
            value=value if isinstance(value, str) else None,
            county=self.name,
            allowed=list(self.occupations),
            allowed_labels=[zh for zh, _ in self.occupations.values()],
        )

    def team(self, value: Any) -> str:
        if isinstance(value, str) and value in self.teams:
            return value
        raise InvalidInput(
            "「team」必须是以下之一：" + "、".join(zh for zh, _ in self.teams.values()),
            "'team' must be one of: " + ", ".join(self.teams),
            field="team",
            allowed=list(self.teams),
        )

    def described(self) -> dict[str, Any]:
        """The preset as the API shows it: its rules' names and its words."""
        return {
            "name": self.name,
            "county": self.county[0],
            "county_en": self.county[1],
            "policy": self.policy,
            "scoring": self.scoring,
            "tasks": self.tasks or self.scoring,
            "training": self.training or self.scoring,
            "placement": self.placement[0],
            "placement_en": self.placement[1],
            "join_form": self.join_form[0],
            "occupations": _listed(self.occupations),
            "teams": _listed(self.teams),
        }


class UnknownOccupation(InvalidInput):
    code = "unknown_occupation"


def _listed(words: Words) -> list[dict[str, str]]:
    return [{"code": c, "label": zh, "label_en": en} for c, (zh, en) in words.items()]


LISHU = CountyPreset(
    name="lishu",
    county=("梨树县", "Lishu County"),
    placement=("职业", "occupation"),
    occupations=LISHU_OCCUPATIONS,
)

FUPING = CountyPreset(
    name="fuping",
    county=("阜平县", "Fuping County"),
    placement=("蓝马甲分队", "Blue Vest squad"),
    occupations=FUPING_SQUADS,
    scoring="fuping",
    join_form=("蓝马甲注册审核", "Blue Vest registration"),  # 注册审核 module of the app
)

GUCHENG = CountyPreset(
    name="gucheng",
    county=("故城县", "Gucheng County"),
    placement=("义警职责", "duty role"),
    occupations=GUCHENG_DUTIES,
    # "可獲'義警之星'等榮譽及…積分兌換禮品": points saved and exchanged, as Lishu's bank.
    scoring="lishu",
    # 七联勤务 published as tasks in the 小程序 ("發布任務"), points "通過志愿活動獲取":
    # credited on completion, as Fuping's tasks; the text names no training days.
    tasks="fuping",
    training="lishu",
    join_form=("故城义警招募队员", "Gucheng volunteer recruitment"),  # 招募隊員
)

COUNTIES = {preset.name: preset for preset in (LISHU, FUPING, GUCHENG)}

ALL_OCCUPATIONS: Words = MappingProxyType(
    {code: words for preset in COUNTIES.values() for code, words in preset.occupations.items()}
)
"""Every preset's words by code: a record made under any preset reads under all."""


def county_preset(name: str) -> CountyPreset:
    if name not in COUNTIES:
        raise InvalidInput(
            f"未知的政策预设：{name}",
            f"unknown policy preset: {name}",
            field="policy",
            allowed=sorted(COUNTIES),
        )
    return COUNTIES[name]


def occupation_label(code: str | None, lang: str = "zh") -> str:
    """The name of an occupation, squad or duty role of any preset (the code if
    none knows it)."""
    if code is None:
        return ""
    words = ALL_OCCUPATIONS.get(code)
    if words is None:
        return code
    return words[1] if lang == "en" else words[0]


def squad_name(code: str | None) -> str:
    """The squad a volunteer is placed in: 外卖员队, 巡逻防控分队, 治安防范员队."""
    name = occupation_label(code)
    return name if name.endswith("队") else f"{name}队"
