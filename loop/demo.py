"""A realistic day for 朝阳派出所 and its communities, driven through every branch.

The demo uses the same application commands as every other entry point.
"""

from __future__ import annotations

from uuid import UUID

from aggregates.actor import Actor
from loop.flow import IncidentFlow

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


def _score_and_reward(
    flow: IncidentFlow, incident: UUID, community: str, points: int, item: str
) -> None:
    cadre, director, officer = DIRECTORS[community]
    flow.propose_score(
        cadre,
        incident,
        items=[{"item": item, "points": points}],
        basis="依据《梨城义警工作考评办法》",
    )
    flow.sign_score(director, incident)
    flow.sign_score(officer, incident)
    flow.reward(officer, incident)


def run(flow: IncidentFlow) -> dict[str, str]:
    """Drive one incident down every branch; returns ``{branch: incident id}``."""
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
    flow.accept(OFFICER_XF, i)
    flow.record_outcome(OFFICER_XF, i, summary="社区民警带领辅警上门调解，双方达成维修协议")
    _score_and_reward(flow, i, XINGFU, 20, "矛盾纠纷排查")
    flow.publicize(
        PUBLICITY,
        i,
        title="外卖小哥听到争吵及时反馈，一场邻里纠纷化解在萌芽",
        redaction_note="已核对标题，不含姓名、电话、身份证号和住址",
    )
    flow.close_incident(OFFICER_XF, i, note="已宣传")

    # 2. Escalated to the station, chased, outcome obtained.
    i = report(
        "escalated_to_station",
        COURIER,
        module="anti_fraud",
        sense="sensed",
        what="老人频繁往陌生账户转账，疑似遭遇电信诈骗",
        where="幸福路18号",
    )
    flow.escalate(OFFICER_XF, i, reason="涉嫌电信诈骗，需要派出所深入调查")
    flow.accept(STATION_OFFICER, i)
    flow.chase(OFFICER_XF, i, asked=STATION, answer="已止付，正在追查资金流向")
    flow.record_outcome(STATION_OFFICER, i, summary="成功止付2万元，老人未受损失")
    _score_and_reward(flow, i, XINGFU, 30, "反诈宣传劝阻")
    flow.close_incident(OFFICER_XF, i)

    # 3. Escalated on to the county bureau for unified dispatch.
    i = report(
        "escalated_to_county",
        TAXI,
        module="patrol_prevention",
        sense="seen",
        what="夜间多人聚集携带器械，疑似准备斗殴",
        where="和平广场",
    )
    flow.accept(OFFICER_HP, i)
    flow.escalate(OFFICER_HP, i, reason="人数众多，社区警力不足")
    flow.accept(STATION_OFFICER, i)
    flow.escalate(STATION_OFFICER, i, reason="派出所不能独立处置，需县局统一派警增援")
    flow.accept(COUNTY_OFFICER, i)
    flow.chase(OFFICER_HP, i, asked=COUNTY, answer="已统一派警，现场已控制")

    # 4. Returned by the station: a community matter after all.
    i = report(
        "returned_by_station",
        METER,
        module="information_collection",
        sense="sensed",
        what="出租屋内长期无人但电表读数异常",
        where="幸福小区7栋",
    )
    flow.escalate(OFFICER_XF, i, reason="疑似存在违法活动")
    flow.return_(STATION_OFFICER, i, reason="经核查为正常用电，由社区民警走访核实")

    # 5. Diverted at triage: not police jurisdiction; handed over with a record.
    i = report(
        "diverted",
        SWEEPER,
        module="hazard_screening",
        sense="seen",
        what="路口下水井盖丢失，夜间存在安全隐患",
        where="和平路与解放路交叉口",
    )
    flow.divert(OFFICER_HP, i, reason="市政设施缺失，非公安机关管辖")
    flow.hand_over(CADRE_HP, i, department="县住建局", received_by="市政科 刘科长")
    flow.chase(CADRE_HP, i, asked="县住建局", answer="已安排次日补装")
    flow.record_outcome(CADRE_HP, i, summary="井盖已补装，并加装警示标志")
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
    flow.accept(OFFICER_XF, i)
    flow.divert(OFFICER_XF, i, reason="到场检查为燃气管道老化，属燃气公司管辖")
    flow.hand_over(CADRE_XF, i, department="县燃气公司", received_by="抢修队 马师傅")

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
    flow.confirm_self_handled(OFFICER_XF, UUID(ack.incident_id), summary="经核实，劝导有效")
    flow.propose_score(
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
    flow.accept(OFFICER_XF, i)

    # 9. A duplicate, rejected with the incident it duplicates.
    i = report(
        "duplicate",
        METER,
        module="hazard_screening",
        sense="seen",
        what="饭店燃气味",
        where="幸福路美食街",
    )
    flow.reject(
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
    return ids
