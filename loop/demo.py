"""A realistic day for 朝阳派出所 and its communities, driven through every branch.

The demo uses the same application commands as every other entry point.
"""

from __future__ import annotations

from uuid import UUID

from aggregates.actor import Actor
from loop.rules.counties import LISHU, CountyPreset
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from loop.services.organisation import Registry
from loop.services.volunteers import Volunteers, id_check_digit

COUNTY = "lishu"
STATION = "lishu/chaoyang"
XINGFU = "lishu/chaoyang/xingfu"
HEPING = "lishu/chaoyang/heping"

UNIT_NAMES = {
    COUNTY: "梨树县公安局",
    STATION: "朝阳派出所",
    XINGFU: "幸福社区",
    HEPING: "和平社区",
}
UNIT_NAMES_EN = {
    COUNTY: "Lishu County Public Security Bureau",
    STATION: "Chaoyang Police Station",
    XINGFU: "Xingfu Community",
    HEPING: "Heping Community",
}
# The departments that receive the matters the demo diverts ("管辖部门").
DEPARTMENTS = {
    "lishu-zhujian": ("县住建局", "County Housing and Construction Bureau"),
    "lishu-ranqi": ("县燃气公司", "County Gas Company"),
    "lishu-xiaofang": ("县消防救援大队", "County Fire and Rescue Brigade"),
}
ADMIN = Actor("admin", "admin", COUNTY)

RIDER = Actor("v-xf-liu", "volunteer", XINGFU)  # 外卖员
COURIER = Actor("v-xf-chen", "volunteer", XINGFU)  # 快递员
METER = Actor("v-xf-zhou", "volunteer", XINGFU)  # 抄表员
TAXI = Actor("v-hp-wu", "volunteer", HEPING)  # 出租车司机
SWEEPER = Actor("v-hp-zheng", "volunteer", HEPING)  # 环卫工人
OFFICER_XF = Actor("o-xf-li", "community_officer", XINGFU)
OFFICER_HP = Actor("o-hp-zhang", "community_officer", HEPING)
AUXILIARY_XF = Actor("a-xf-yang", "auxiliary", XINGFU)
CADRE_XF = Actor("c-xf-sun", "community_cadre", XINGFU)
DIRECTOR_XF = Actor("d-xf-zhao", "community_director", XINGFU)
CADRE_HP = Actor("c-hp-he", "community_cadre", HEPING)
DIRECTOR_HP = Actor("d-hp-lv", "community_director", HEPING)
STATION_OFFICER = Actor("s-cy-wang", "station_officer", STATION)
COUNTY_OFFICER = Actor("k-ls-gao", "county_officer", COUNTY)
PUBLICITY = Actor("p-ls-qian", "publicity_officer", COUNTY)

DIRECTORS = {
    XINGFU: (CADRE_XF, DIRECTOR_XF, OFFICER_XF),
    HEPING: (CADRE_HP, DIRECTOR_HP, OFFICER_HP),
}


# The volunteers of the demo, as the community recorded their applications.
# Personal details are made up; ID numbers carry a valid check digit.
APPLICANTS = [
    (RIDER, "刘某", "delivery_rider", "美团外卖梨树站点", True),
    (COURIER, "陈某", "courier", "中通快递梨树网点", False),
    (METER, "周某", "meter_reader", "国网梨树县供电公司", True),
    (TAXI, "吴某", "taxi_driver", "梨树县出租汽车公司", False),
    (SWEEPER, "郑某", "sanitation_worker", "梨树县环卫中心", False),
]
APPLICANT_WITH_RECORD = Actor("v-hp-feng", "volunteer", HEPING)

# Goods local businesses donated to the Happiness Banks (the Lishu text names
# bath cards, thermos cups, travel bags, rice and soybean oil).
CATALOGUE = [
    (XINGFU, "洗澡卡", "梨树县福源浴池", 20, 30, 2),
    (XINGFU, "保温杯", "梨树县百货大楼", 15, 20, None),
    (XINGFU, "旅行包", "吉运箱包店", 5, 60, 1),
    (HEPING, "大米（10斤）", "梨树县粮食购销公司", 10, 40, None),
    (STATION, "豆油（5升）", "梨树县金穗粮油", 12, 50, None),
]


def register_units(registry: Registry) -> None:
    """The demo county's organisation, registered through the registry's commands
    as any county's is: the county bureau, its station, two communities and the
    departments that receive diverted matters."""
    registry.found(ADMIN, code=COUNTY, name=UNIT_NAMES[COUNTY], name_en=UNIT_NAMES_EN[COUNTY])
    units = [
        {"code": code, "kind": kind, "parent": parent, "name": UNIT_NAMES[code]}
        | {"name_en": UNIT_NAMES_EN[code]}
        for code, kind, parent in (
            (STATION, "station", COUNTY),
            (XINGFU, "community", STATION),
            (HEPING, "community", STATION),
        )
    ]
    units += [
        {"code": code, "kind": "department", "parent": COUNTY, "name": zh, "name_en": en}
        for code, (zh, en) in DEPARTMENTS.items()
    ]
    registry.register_many(ADMIN, units)


def sample_id_number(n: int) -> str:
    first17 = f"22032219{80 + n % 20:02d}0101{n:03d}"
    return first17 + id_check_digit(first17)


def placed(occupation: str, county: CountyPreset = LISHU) -> str:
    """What a demo volunteer is placed in under ``county``: his Lishu occupation,
    or the county's own word in the same place of its list (Fuping's squads,
    Gucheng's duty roles), so a demo of any county speaks its words."""
    if county.known_occupation(occupation) is not None:
        return occupation
    theirs = list(county.occupations)
    return theirs[list(LISHU.occupations).index(occupation) % len(theirs)]


def enrol(flow: IncidentFlow, county: CountyPreset = LISHU) -> dict[str, str]:
    """Admit the demo's volunteers after the joint review (one applicant with a
    record is declined), placed in ``county``'s words, and stock the catalogues;
    returns ``{name: item id}``."""
    volunteers = Volunteers(flow.app, flow.scoring, county)
    staff = {XINGFU: (CADRE_XF, OFFICER_XF), HEPING: (CADRE_HP, OFFICER_HP)}
    applicants = [*APPLICANTS, (APPLICANT_WITH_RECORD, "冯某", "resident_volunteer", "无", False)]
    for n, (person, name, occupation, employer, party) in enumerate(applicants, start=1):
        cadre, officer = staff[person.unit]
        volunteers.apply(
            cadre,
            volunteer_id=person.id,
            name=name,
            phone=f"1390434{n:04d}",
            id_number=sample_id_number(n),
            address=f"{UNIT_NAMES[person.unit]}{n}栋",
            employer=employer,
            occupation=placed(occupation, county),
            party_member=party,
        )
        volunteers.review(cadre, person.id, reviewer="employer", approved=True, note="工作表现良好")
        volunteers.review(cadre, person.id, reviewer="community", approved=True, note="家庭和睦")
        if person is APPLICANT_WITH_RECORD:
            volunteers.review(
                STATION_OFFICER,
                person.id,
                reviewer="station",
                approved=False,
                criminal_record=True,
                note="有盗窃前科",
            )
            continue
        volunteers.review(
            STATION_OFFICER, person.id, reviewer="station", approved=True, note="无前科劣迹"
        )
        volunteers.admit(officer, person.id)
    volunteers.join_team(CADRE_XF, RIDER.id, team="rescue")
    volunteers.join_team(CADRE_HP, TAXI.id, team="veterans")
    bank = Bank(flow.app, flow.scoring)
    items: dict[str, str] = {}
    donors = {XINGFU: CADRE_XF, HEPING: CADRE_HP, STATION: STATION_OFFICER}
    for unit, name, donor, stock, price, limit in CATALOGUE:
        ack = bank.donate(
            donors[unit],
            name=name,
            donor=donor,
            stock=stock,
            price=price,
            limit_per_volunteer=limit,
        )
        items[name] = ack.item_id
    return items


def _score_and_reward(
    flow: IncidentFlow, incident: UUID, community: str, points: int, item: str
) -> None:
    cadre, director, officer = DIRECTORS[community]
    flow.take(
        "propose_score",
        cadre,
        incident,
        items=[{"item": item, "points": points}],
        basis="依据《梨城义警工作考评办法》",
    )
    flow.take("sign_score", director, incident)
    flow.take("sign_score", officer, incident)
    flow.take("reward", officer, incident)


def run(flow: IncidentFlow, county: CountyPreset = LISHU) -> dict[str, str]:
    """Admit the volunteers (in ``county``'s words) and stock the Happiness Banks,
    then drive one incident down every branch; returns ``{branch: incident id}``."""
    items = enrol(flow, county)
    ids: dict[str, str] = {}

    def report(name: str, actor: Actor, **details: str) -> UUID:
        channel = "phone" if actor.role != "volunteer" else "app"
        ack = flow.report_new(actor, channel=channel, **details)
        ids[name] = ack.incident_id
        return UUID(ack.incident_id)

    # 1. Handled locally by the community officer, scored, rewarded, publicized.
    i = report(
        "handled_locally",
        RIDER,
        module="dispute_screening",
        sense="heard",
        what="幸福小区3栋两户因漏水发生争吵，有动手迹象",
        where="幸福小区3栋",
    )
    flow.take("accept", OFFICER_XF, i)
    flow.take("record_outcome", OFFICER_XF, i, summary="社区民警带领辅警上门调解，双方达成维修协议")
    _score_and_reward(flow, i, XINGFU, 20, "矛盾纠纷排查")
    flow.take(
        "publicize",
        PUBLICITY,
        i,
        title="外卖小哥听到争吵及时反馈，一场邻里纠纷化解在萌芽",
        redaction_note="已核对标题，不含姓名、电话、身份证号和住址",
    )
    flow.take("close", OFFICER_XF, i, note="已宣传")

    # 2. Escalated to the station, chased, outcome obtained.
    i = report(
        "escalated_to_station",
        COURIER,
        module="anti_fraud",
        sense="sensed",
        what="老人频繁往陌生账户转账，疑似遭遇电信诈骗",
        where="幸福路18号",
    )
    flow.take("escalate", OFFICER_XF, i, reason="涉嫌电信诈骗，需要派出所深入调查")
    flow.take("accept", STATION_OFFICER, i)
    flow.take("chase", OFFICER_XF, i, asked=STATION, answer="已止付，正在追查资金流向")
    flow.take("record_outcome", STATION_OFFICER, i, summary="成功止付2万元，老人未受损失")
    _score_and_reward(flow, i, XINGFU, 30, "反诈宣传劝阻")
    flow.take("close", OFFICER_XF, i)

    # 3. Escalated on to the county bureau for unified dispatch.
    i = report(
        "escalated_to_county",
        TAXI,
        module="patrol_prevention",
        sense="seen",
        what="夜间多人聚集携带器械，疑似准备斗殴",
        where="和平广场",
    )
    flow.take("accept", OFFICER_HP, i)
    flow.take("escalate", OFFICER_HP, i, reason="人数众多，社区警力不足")
    flow.take("accept", STATION_OFFICER, i)
    flow.take("escalate", STATION_OFFICER, i, reason="派出所不能独立处置，需县局统一派警增援")
    flow.take("accept", COUNTY_OFFICER, i)
    flow.take("chase", OFFICER_HP, i, asked=COUNTY, answer="已统一派警，现场已控制")

    # 4. Returned by the station: a community matter after all.
    i = report(
        "returned_by_station",
        METER,
        module="information_collection",
        sense="sensed",
        what="出租屋内长期无人但电表读数异常",
        where="幸福小区7栋",
    )
    flow.take("escalate", OFFICER_XF, i, reason="疑似存在违法活动")
    flow.take("return", STATION_OFFICER, i, reason="经核查为正常用电，由社区民警走访核实")

    # 5. Diverted at triage: not police jurisdiction; handed over with a record.
    i = report(
        "diverted",
        SWEEPER,
        module="hazard_screening",
        sense="seen",
        what="路口下水井盖丢失，夜间存在安全隐患",
        where="和平路与解放路交叉口",
    )
    flow.take("divert", OFFICER_HP, i, reason="市政设施缺失，非公安机关管辖")
    flow.take("hand_over", CADRE_HP, i, department="县住建局", received_by="市政科 刘科长")
    flow.take("chase", CADRE_HP, i, asked="县住建局", answer="已安排次日补装")
    flow.take("record_outcome", CADRE_HP, i, summary="井盖已补装，并加装警示标志")
    _score_and_reward(flow, i, HEPING, 15, "安全隐患排查")

    # 6. Diverted after the police arrived.
    i = report(
        "diverted_after_arrival",
        RIDER,
        module="hazard_screening",
        sense="smelled",
        what="饭店后厨有浓烈燃气气味",
        where="幸福路美食街",
    )
    flow.take("accept", OFFICER_XF, i)
    flow.take("divert", OFFICER_XF, i, reason="到场检查为燃气管道老化，属燃气公司管辖")
    flow.take("hand_over", CADRE_XF, i, department="县燃气公司", received_by="抢修队 马师傅")

    # 7. Self-handled on site and confirmed by the officer.
    ack = flow.report_new(
        COURIER,
        channel="app",
        module="traffic_safety",
        sense="seen",
        what="电动车驾驶员未戴安全头盔",
        where="幸福路口",
        self_handled_note="当场劝导佩戴头盔",
    )
    ids["self_handled"] = ack.incident_id
    flow.take("confirm_self_handled", OFFICER_XF, UUID(ack.incident_id), summary="经核实，劝导有效")
    flow.take(
        "propose_score",
        CADRE_XF,
        UUID(ack.incident_id),
        items=[{"item": "交通安全劝导", "points": 5}],
        basis="现场自行处置",
    )

    # 8. Urgent phone report logged by the office on a volunteer's behalf.
    i = report(
        "urgent_phone",
        AUXILIARY_XF,
        module="patrol_prevention",
        sense="seen",
        what="超市门口有人抢夺挎包",
        where="幸福超市门口",
        urgency="urgent",
        reporter_id=METER.id,
    )
    flow.take("accept", OFFICER_XF, i)

    # 9. A duplicate, rejected with the incident it duplicates.
    i = report(
        "duplicate",
        METER,
        module="hazard_screening",
        sense="seen",
        what="饭店燃气味",
        where="幸福路美食街",
    )
    flow.take(
        "reject",
        OFFICER_XF,
        i,
        kind="duplicate",
        reason="与已受理警情重复",
        related_id=ids["diverted_after_arrival"],
    )

    # 10. Just reported, waiting for triage.
    report(
        "awaiting_triage",
        TAXI,
        module="traffic_safety",
        sense="seen",
        what="重点路段积水结冰，车辆打滑",
        where="和平桥下",
    )

    # The rewarded volunteers exchange points at their Happiness Bank.
    bank = Bank(flow.app, flow.scoring)
    bank.redeem(RIDER, RIDER.id, items["保温杯"])
    bank.redeem(CADRE_XF, COURIER.id, items["洗澡卡"])
    return ids
