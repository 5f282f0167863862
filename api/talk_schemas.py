"""Request bodies of the talk-order endpoints (群众点单). The loop validates every
value again; these give the OpenAPI document its shapes and refuse wrong types
early."""

from __future__ import annotations

from pydantic import Field, StrictInt

from api.schemas import Body, Moment


class MenuItem(Body):
    theme: str = Field(max_length=32, description="anti_fraud, traffic, campus, drugs …")
    title: str = Field(max_length=100)
    format: str = Field(max_length=32, description="field_class 田间课堂, mobile_cinema 流动电影 …")
    minutes: StrictInt
    audience: str = Field(max_length=100)
    speakers: list[str] = Field(
        max_length=20,
        description="宣讲人：义警编号、staff:民警账号、outside:外聘编号 / volunteer ids, "
        "staff:<username>, outside:<id>",
    )
    unit: str | None = Field(default=None, max_length=200, description="默认本单位 / yours")
    item_id: str | None = Field(default=None, max_length=40)


class OrderLogged(Body):
    """An order phoned in, logged by staff."""

    unit: str = Field(max_length=200, description="菜单所属派出所 / the menu's station")
    item_id: str = Field(max_length=40)
    community: str = Field(max_length=200)
    orderer_kind: str = Field(max_length=32)
    window_from: str = Field(max_length=10, description="YYYY-MM-DD")
    window_to: str = Field(max_length=10, description="YYYY-MM-DD")
    name: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    place: str = Field(max_length=200)


class TalkReason(Body):
    reason: str = Field(max_length=500)


class Forwarding(TalkReason):
    to_unit: str = Field(max_length=200)


class Scheduling(Body):
    starts_at: Moment
    speakers: list[str] = Field(max_length=20)


class Delivery(Body):
    reach: StrictInt = Field(description="人次")
    questions: StrictInt = 0
    topics_on_site: dict[str, StrictInt] = Field(
        default_factory=dict, max_length=30, description="群众点题：话题及次数 / counts only"
    )


class FollowUp(Body):
    note: str = Field(max_length=1000)


class SpeakerRegistration(Body):
    """A police officer (``kind`` staff, his ``account``) or an outside speaker
    (``kind`` outside: ``name`` and ``organisation``) joining the station's 宣讲队."""

    kind: str = Field(max_length=16, description="staff 民警 | outside 外聘（教师、律师等）")
    account: str | None = Field(default=None, max_length=100, description="民警账号 / username")
    name: str | None = Field(default=None, max_length=100, description="姓名（加密保存）")
    organisation: str | None = Field(default=None, max_length=100, description="单位")
    vice_principal_of: str | None = Field(
        default=None, max_length=100, description="兼任法治副校长的学校 / school"
    )
    unit: str | None = Field(default=None, max_length=200, description="默认本单位 / yours")
