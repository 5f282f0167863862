"""The year's incidents: each a script down one branch of the loop, its steps
hours or days apart, taken by the people the policy names for them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from loop import demo
from loop.demo_year.people import People
from loop.demo_year.timeline import CHINA, Script, Timeline
from loop.services.incidents import IncidentFlow
from loop.services.intake import CLIENT_ROLE, Intake, Report, fixed_id

# What volunteers report, by module: (what, where).
REPORTS = {
    "dispute_screening": [
        ("两户因楼上漏水发生争吵", "幸福小区3栋"),
        ("摊贩因占道经营发生口角", "和平市场"),
        ("邻居因停车位发生纠纷", "和平小区停车场"),
        ("家庭矛盾激化，有动手迹象", "幸福路12号"),
    ],
    "information_collection": [
        ("出租屋新入住人员未登记", "幸福小区9栋"),
        ("空置房屋夜间有人进出", "和平小区5栋"),
        ("小区出现陌生推销人员", "幸福小区南门"),
    ],
    "anti_fraud": [
        ("老人频繁往陌生账户转账，疑似遭遇电信诈骗", "幸福路18号"),
        ("有人在小区门口推销高回报理财", "和平广场"),
        ("居民接到冒充客服的退款电话", "幸福小区7栋"),
    ],
    "hazard_screening": [
        ("路口下水井盖丢失", "和平路与解放路交叉口"),
        ("楼道堆放杂物，堵塞消防通道", "和平小区2栋"),
        ("饭店后厨有燃气气味", "幸福路美食街"),
        ("电动车在楼道内充电", "幸福小区11栋"),
    ],
    "traffic_safety": [
        ("学校门口护栏损坏", "幸福小学门口"),
        ("路段积水结冰，车辆打滑", "和平桥下"),
        ("红绿灯不亮", "幸福路口"),
    ],
    "patrol_prevention": [
        ("夜间巡逻发现单元门禁损坏", "幸福小区4栋"),
        ("夜间多人聚集携带器械", "和平广场"),
        ("超市门口有人抢夺挎包", "幸福超市门口"),
    ],
}
CATEGORY = {
    "dispute_screening": "矛盾纠纷排查",
    "information_collection": "信息采集",
    "anti_fraud": "反诈宣传",
    "hazard_screening": "安全隐患排查",
    "traffic_safety": "交通安全劝导",
    "patrol_prevention": "巡逻防范",
}
DEPARTMENTS = {
    "hazard_screening": ("县住建局", "市政科 刘科长"),
    "traffic_safety": ("县住建局", "市政科 刘科长"),
    "patrol_prevention": ("县消防救援大队", "值班室 孙队长"),
}
GAS = ("县燃气公司", "抢修队 马师傅")
BRANCHES = {
    "local": 30,
    "station": 10,
    "station_after_accept": 5,
    "county": 4,
    "returned": 4,
    "diverted": 8,
    "diverted_after_arrival": 5,
    "self_handled": 8,
    "office_logged": 4,
    "resident_call": 6,
    "resident_report": 5,
    "rejected": 6,
    "discovered_first": 3,
    "rejected_after_reward": 1,
}
"""How often each branch is taken (weights)."""
SUITE = "open311"
CLIENT = "suishoupai"


class Cases:
    """Starts one incident's script; keeps what later scripts refer to."""

    def __init__(self, flow: IncidentFlow, timeline: Timeline, people: People) -> None:
        self.flow, self.t, self.people = flow, timeline, people
        self.made = 0
        self.recent: dict[str, list[str]] = defaultdict(list)
        """Incident ids by community, newest last: what a duplicate or a merge names."""
        self.earned: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        """Points rewarded, by quarter (``2026-Q3``), by volunteer."""
        self.branches: dict[str, int] = defaultdict(int)

    def start(self, when: datetime) -> None:
        """An incident reported at ``when``, down a branch drawn by its weight."""
        rng = self.t.rng
        branch = rng.choices(list(BRANCHES), list(BRANCHES.values()))[0]
        module = rng.choice(list(REPORTS))
        if branch in ("diverted", "diverted_after_arrival") and module not in DEPARTMENTS:
            module = "hazard_screening"
        self.branches[branch] += 1
        self.made += 1
        self.t.at(when, f"incident:{branch}", self.script(branch, module, self.made))

    # -- the branches ------------------------------------------------------------------

    def script(self, branch: str, module: str, n: int) -> Script:
        rng, h = self.t.rng, self.t.hours
        community = rng.choice((demo.XINGFU, demo.HEPING))
        reporter = self.people.pick(self.t, community)
        what, where = rng.choice(REPORTS[module])
        ours, theirs = ("幸福", "和平") if community == demo.XINGFU else ("和平", "幸福")
        where = where.replace(theirs, ours)  # a place in the reporter's own community
        details: dict[str, Any] = {
            "module": module,
            "sense": rng.choice(("seen", "heard", "sensed")),
            "what": what,
            "where": where,
            "incident_id": self.t.uuid("incident", n),
        }
        if branch == "discovered_first":
            i = UUID(self.flow.discover(reporter, **details).incident_id)
            yield h(1, 20)
            self.flow.take("report", reporter, i, channel="app")
        else:
            i = self._reported(branch, community, reporter, details, n)
        self.recent[community].append(str(i))
        yield h(0.5, 30) if rng.random() > 0.06 else h(24 * 3, 24 * 40)  # some wait past due
        if branch in ("resident_report", "resident_call"):
            yield from self._for_resident(community, i)
        elif branch == "rejected":
            self._reject(community, i)
        else:
            yield from self._handled(branch, community, module, i)
            yield from self._scored(branch, community, module, i, what)

    def _reported(
        self, branch: str, community: str, reporter: Actor, details: dict[str, Any], n: int
    ) -> UUID:
        """The report, by the volunteer or the office, or a resident's by phone or app."""
        flow, officer = self.flow, demo.DIRECTORS[community][2]
        desk = demo.AUXILIARY_XF if community == demo.XINGFU else officer
        resident = {"name": f"居民{n}", "phone": f"139043{6 + (n % 2)}{n:04d}"}
        if branch == "resident_report":
            report = Report(
                community, details["module"], details["sense"], details["what"],
                details["where"], resident,
            )  # fmt: skip
            client = Actor(f"{SUITE}:{CLIENT}", CLIENT_ROLE, community)
            external = str(n)
            ack = Intake(flow).report(
                client, report, source=SUITE, client=CLIENT, external_id=external,
                incident_id=fixed_id(SUITE, CLIENT, external),
            )  # fmt: skip
        elif branch == "resident_call":
            ack = flow.report_new(desk, channel="phone", resident=resident, **details)
        elif branch == "office_logged":
            ack = flow.report_new(
                desk, channel="phone", urgency="urgent", reporter_id=reporter.id, **details
            )
        elif branch == "self_handled":
            ack = flow.report_new(
                reporter, channel="app", self_handled_note="当场劝导处置", **details
            )
        else:
            ack = flow.report_new(reporter, channel="app", **details)
        return UUID(ack.incident_id)

    def _for_resident(self, community: str, i: UUID) -> Script:
        """A resident's report: handled and closed, never scored."""
        officer, h = demo.DIRECTORS[community][2], self.t.hours
        self.flow.take("accept", officer, i)
        yield h(2, 72)
        self.flow.take("record_outcome", officer, i, summary="民警上门核实处置，已向群众反馈")
        yield h(1, 24)
        self.flow.take("close", officer, i, note="已回访群众")

    def _reject(self, community: str, i: UUID) -> None:
        kind = self.t.rng.choice(("duplicate", "unfounded", "merged"))
        related = self._earlier(community, str(i)) if kind != "unfounded" else None
        reasons = {"duplicate": "与已受理警情重复", "merged": "已并入同一事件"}
        self.flow.take(
            "reject",
            demo.DIRECTORS[community][2],
            i,
            kind=kind if related else "unfounded",
            reason=reasons[kind] if related else "经核查查无实据",
            related_id=related,
        )

    def _handled(self, branch: str, community: str, module: str, i: UUID) -> Script:
        """From triage to the outcome, down ``branch``."""
        rng, h, take = self.t.rng, self.t.hours, self.flow.take
        cadre, _, officer = demo.DIRECTORS[community]
        station, county = demo.STATION_OFFICER, demo.COUNTY_OFFICER
        if branch == "self_handled":
            take("confirm_self_handled", officer, i, summary="经核实，劝导有效")
        elif branch in ("diverted", "diverted_after_arrival"):
            if branch == "diverted_after_arrival":
                take("accept", officer, i)
                yield h(1, 24)
            take("divert", officer, i, reason="非公安机关管辖，分流至管辖部门")
            yield h(1, 20)
            gas = "燃气" in self.flow.get(i).what
            department, by = GAS if gas else DEPARTMENTS[module]
            take("hand_over", cadre, i, department=department, received_by=by)
            yield h(24, 24 * 8) if rng.random() > 0.1 else h(24 * 16, 24 * 40)
            if rng.random() < 0.6:
                take("chase", cadre, i, asked=department, answer="已安排人员处理")
                yield h(12, 72)
            take("record_outcome", cadre, i, summary=f"{department}已处理完毕")
        elif branch in ("station", "station_after_accept", "county", "returned"):
            if branch != "station":
                take("accept", officer, i)
                yield h(1, 48)
            take("escalate", officer, i, reason="社区警力不足，需派出所处置")
            yield h(1, 20)
            if branch == "returned":
                take("return", station, i, reason="经核查属社区事项，由社区民警处置")
                yield h(2, 48)
                take("record_outcome", officer, i, summary="社区民警走访核实，已妥善处置")
                return
            take("accept", station, i)
            yield h(4, 96)
            asked, handler = demo.STATION, station
            if branch == "county":
                take("escalate", station, i, reason="需县局统一派警")
                yield h(1, 12)
                take("accept", county, i)
                yield h(4, 120)
                asked, handler = demo.COUNTY, county
            take("chase", officer, i, asked=asked, answer="正在处置，近日反馈结果")
            yield h(12, 24 * 6)
            take("record_outcome", handler, i, summary="已依法处置完毕")
        else:  # by the community officer, perhaps logged by the office or found first
            take("accept", officer, i)
            yield h(2, 24 * 5) if rng.random() > 0.08 else h(24 * 8, 24 * 40)
            take("record_outcome", officer, i, summary="社区民警带领辅警到场处置完毕")

    def _scored(self, branch: str, community: str, module: str, i: UUID, what: str) -> Script:
        """Scored, co-signed, rewarded, perhaps publicized, closed (or found unfounded
        after its reward)."""
        rng, h, take = self.t.rng, self.t.hours, self.flow.take
        cadre, director, officer = demo.DIRECTORS[community]
        yield h(4, 48)
        points = rng.choice((5, 10, 10, 15, 20, 30))
        item = {"item": self._category(module), "points": points}
        take("propose_score", cadre, i, items=[item], basis="依据《梨城义警工作考评办法》")
        yield h(1, 30)
        take("sign_score", director, i)
        yield h(0.5, 20)
        take("sign_score", officer, i)
        yield h(0.5, 20)
        take("reward", officer, i)
        at = self.t.clock().astimezone(CHINA)
        quarter = f"{at:%Y}-Q{(at.month - 1) // 3 + 1}"
        self.earned[quarter][self.flow.get(i).reporter_id] += points
        if branch == "rejected_after_reward":
            yield h(24, 24 * 5)
            take("reject", officer, i, kind="unfounded", reason="复核发现事实不实，撤销奖励")
            return
        yield h(4, 24 * 3)
        if rng.random() < 0.15:
            title = f"义警及时发现{what[:12]}，隐患消除在萌芽"
            note = "已核对标题，不含姓名、电话、身份证号和住址"
            take("publicize", demo.PUBLICITY, i, title=title, redaction_note=note)
            yield h(2, 48)
        take("close", officer, i, note="已办结")

    def _earlier(self, community: str, own: str) -> str | None:
        earlier = [x for x in self.recent[community][-30:] if x != own]
        return self.t.rng.choice(earlier) if earlier else None

    def _category(self, module: str) -> str:
        categories = self.flow.scoring.categories
        wanted = CATEGORY[module]
        return wanted if not categories or wanted in categories else categories[0]
