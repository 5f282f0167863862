"""Talk orders (群众点单) as data: themes, formats, who orders, and the policy
(how soon a station answers, how long a private link lives, what rating is low).

Ping'an: "紧紧围绕防范电信网络诈骗、交通安全、校园安全、防毒识毒等内容制定'宣讲菜单'",
"不断增设'田间课堂''流动电影''集市宣讲'等新栏目", "让群众'点单'，'枫'警宣讲队现场
'接单'，以'群众点题、现场答疑'的方式". The texts give the themes and formats; every
number here is a default (marked so) a deployment may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

THEMES = {
    "anti_fraud": "防范电信网络诈骗",
    "traffic": "交通安全",
    "campus": "校园安全",
    "drugs": "防毒识毒",
    "bullying": "校园欺凌",  # the text's own example talk
    "two_cards": "'两卡'犯罪",  # the text's own example talk: 手机卡、银行卡
    "legal": "法治宣传",
}

FORMATS = {
    "field_class": "田间课堂",
    "mobile_cinema": "流动电影",
    "market_talk": "集市宣讲",
    "school_lecture": "法治课堂",  # given by the 法治副校长 the text names
    "door_to_door": "上门宣讲",
}

ORDERER_KINDS = {
    "village_committee": "村（居）委会",
    "school": "学校",
    "business": "企业",
    "resident": "群众",
}

SOURCES = {"public_form": "群众点单表单", "phone": "电话点单（民警代录）"}

MODULE_THEMES = {"anti_fraud": "anti_fraud", "traffic_safety": "traffic"}
"""The app's reporting modules whose reports a talk theme answers (反诈宣传, 交通安全)."""

TASK_KIND = {"anti_fraud": "anti_fraud", "two_cards": "anti_fraud"}
"""The duty-task kind a talk on a theme becomes; any other theme: 法治宣传."""


@dataclass(frozen=True)
class TalkPolicy:
    answer_within: timedelta = timedelta(days=3)  # default: accept or decline by then
    manage_link_lives: timedelta = timedelta(days=90)  # default
    rating_link_lives: timedelta = timedelta(days=14)  # default
    low_rating: int = 2  # default: one or two stars of five open a follow-up
    longest_window: timedelta = timedelta(days=92)  # default: the days an order may span
    furthest_ahead: timedelta = timedelta(days=366)  # default
    speaker_points: int = 5  # default: each speaker's points for a delivered talk
    most_speakers: int = 6  # default
    longest_talk_minutes: int = 240  # default


TALK_POLICY = TalkPolicy()


def task_kind(theme: str) -> str:
    return TASK_KIND.get(theme, "legal_publicity")


class Suggestion(NamedTuple):
    theme: str
    theme_zh: str
    module: str
    this_month: int
    last_month: int


def suggested(counts: dict[str, tuple[int, int]]) -> list[Suggestion]:
    """The themes to offer a place, from its reports in the modules a theme answers:
    ``counts`` maps a module to (this month's reports, last month's); a theme is
    suggested when its reports rose, the steepest rise first."""
    found = [
        Suggestion(MODULE_THEMES[module], THEMES[MODULE_THEMES[module]], module, now, before)
        for module, (now, before) in counts.items()
        if module in MODULE_THEMES and now > before
    ]
    return sorted(found, key=lambda s: (s.last_month - s.this_month, s.theme))
