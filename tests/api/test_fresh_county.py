"""A county goes live on a fresh production install, without the demo and
without a line of code: the first administrator is made with ``lishu users add
--role admin``, logs in, builds a county of two stations, a work station, three
communities and two departments, creates the community's staff, imports fifty
volunteers from an XLSX roll, and one incident then travels the whole loop
among those people, diverted to one of those departments. Every name the county
is shown by (the console's frame, the Open311 facade, the public report form)
is then its own, not the demo's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from loop.rules.steps import STEPS
from tests.api.conftest import service_settings
from tests.api.test_users_cli import lishu
from tests.builders import valid_input
from tests.unit.test_roll_import import as_xlsx, person

ADMIN_PASSWORD = "the county's first admin 2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNITS = [
    {"code": "sp/dongcheng", "kind": "station", "parent": "sp", "name": "东城派出所"},
    {"code": "sp/xicheng", "kind": "station", "parent": "sp", "name": "西城派出所"},
    {"code": "dc-ws1", "kind": "work_station", "parent": "sp/dongcheng", "name": "东城一号警务站"},
    {
        "code": "sp/dongcheng/anle",
        "kind": "community",
        "parent": "sp/dongcheng",
        "name": "安乐社区",
    },
    {"code": "sp/dongcheng/heshun", "kind": "village", "parent": "dc-ws1", "name": "和顺村"},
    {
        "code": "sp/xicheng/minsheng",
        "kind": "community",
        "parent": "sp/xicheng",
        "name": "民生社区",
    },
    {"code": "sp-zhujian", "kind": "department", "parent": "sp", "name": "县住建局"},
    {"code": "sp-gongdian", "kind": "department", "parent": "sp", "name": "县供电公司"},
]
ANLE = "sp/dongcheng/anle"
STAFF = {
    "o-al-zhao": ("community_officer", "赵警官"),
    "c-al-qian": ("community_cadre", "钱干部"),
    "d-al-sun": ("community_director", "孙主任"),
}


class Session:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def log_in(self, username: str, password: str) -> dict[str, Any]:
        answer = self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert answer.status_code == 200, answer.text
        self.tokens[username] = answer.json()["access_token"]
        body: dict[str, Any] = answer.json()
        return body

    def first_log_in(self, username: str, one_time: str) -> None:
        """Log in with a one-time password and choose one's own."""
        assert self.log_in(username, one_time)["password_change_required"]
        mine = f"blue river county phrase {len(self.tokens)}"
        changed = self.post(
            username,
            "/api/auth/password",
            {"current_password": one_time, "new_password": mine},
        )
        assert changed.status_code == 200, changed.text
        self.log_in(username, mine)

    def post(self, username: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[username]}"}
        return self.client.post(path, json=body, headers=headers, **kw)

    def step(self, username: str, incident: str, name: str, **given: Any) -> dict[str, Any]:
        body = valid_input(name, **given)
        answer = self.post(username, f"/api/incidents/{incident}/{STEPS[name].path}", body)
        assert answer.status_code == 200, (name, answer.text)
        done: dict[str, Any] = answer.json()
        return done


def test_a_county_sets_itself_up_and_runs_the_loop_among_its_own_people(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path}/county.db"
    code, out = lishu(
        "users", "add", "admin-sp", "--role", "admin", "--unit", "sp",
        "--county-name", "四平县公安局", "--password", ADMIN_PASSWORD, "--database-url", database,
    )  # fmt: skip
    assert code == 0, out
    with TestClient(create_app(service_settings(database, demo=False))) as client:
        s = Session(client)
        assert not s.log_in("admin-sp", ADMIN_PASSWORD)["password_change_required"]
        built = s.post("admin-sp", "/api/organisation/units", {"units": UNITS})
        assert built.status_code == 201, built.text

        passwords = {}
        for username, (role, name) in STAFF.items():
            made = s.post(
                "admin-sp",
                "/api/admin/accounts",
                {"username": username, "display_name": name, "role": role, "unit": ANLE},
            )
            assert made.status_code == 201, made.text
            passwords[username] = made.json()["one_time_password"]
        roll = as_xlsx([person(n, community=ANLE) for n in range(1, 51)])
        imported = s.post(
            "admin-sp",
            "/api/admin/accounts/imports",
            None,
            files={"file": ("义警名册.xlsx", roll, XLSX)},
        )
        assert imported.status_code == 201, imported.text
        assert imported.json()["imported"] == 50
        reset = s.post("admin-sp", "/api/admin/accounts/v-im-00003/password", {"reason": "入队"})
        passwords["v-im-00003"] = reset.json()["one_time_password"]
        for username, one_time in passwords.items():
            s.first_log_in(username, one_time)

        report = s.post(
            "v-im-00003",
            "/api/incidents",
            {
                "module": "hazard_screening",
                "sense": "seen",
                "what": "安乐小区路灯线路裸露",
                "where": "安乐小区3栋",
                "channel": "app",
            },
        )
        assert report.status_code == 201, report.text
        incident = report.json()["incident_id"]
        s.step("o-al-zhao", incident, "divert", reason="属供电部门管理")
        refused = s.post(
            "c-al-qian",
            f"/api/incidents/{incident}/{STEPS['hand_over'].path}",
            valid_input("hand_over", department="县水务局"),
        )
        assert (refused.status_code, refused.json()["details"]["field"]) == (422, "department")
        s.step("c-al-qian", incident, "hand_over", department="sp-gongdian", received_by="李科长")
        s.step("c-al-qian", incident, "record_outcome", summary="供电公司已更换线路")
        s.step("c-al-qian", incident, "propose_score")
        s.step("d-al-sun", incident, "sign_score")
        s.step("o-al-zhao", incident, "sign_score")
        s.step("o-al-zhao", incident, "reward")
        closed = s.step("o-al-zhao", incident, "close")
        assert closed["stage"] == "closed"

        headers = {"Authorization": f"Bearer {s.tokens['o-al-zhao']}"}
        shown = client.get(f"/api/incidents/{incident}", headers=headers).json()["incident"]
        assert shown["handover"]["department"] == "县供电公司"
        mine = client.get("/api/me", headers={"Authorization": f"Bearer {s.tokens['v-im-00003']}"})
        assert mine.json()["unit_label"] == "安乐社区"


@contextmanager
def fresh_county(tmp_path: Path) -> Iterator[Session]:
    """A production install whose first administrator registered 四平县公安局 and
    its units (no demo), logged in as that administrator."""
    database = f"sqlite:///{tmp_path}/county.db"
    code, out = lishu(
        "users", "add", "admin-sp", "--role", "admin", "--unit", "sp",
        "--county-name", "四平县公安局", "--password", ADMIN_PASSWORD, "--database-url", database,
    )  # fmt: skip
    assert code == 0, out
    with TestClient(create_app(service_settings(database, demo=False))) as client:
        s = Session(client)
        s.log_in("admin-sp", ADMIN_PASSWORD)
        built = s.post("admin-sp", "/api/organisation/units", {"units": UNITS})
        assert built.status_code == 201, built.text
        yield s


def test_the_console_names_the_countys_own_bureau_not_lishu(tmp_path: Path) -> None:
    with fresh_county(tmp_path) as s:
        login = s.client.get("/login").text
        assert "四平县公安局 · 义警警情闭环管理" in login
        assert "梨树" not in login
        signed = s.client.post(
            "/login",
            data={"username": "admin-sp", "password": ADMIN_PASSWORD},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        page = s.client.get("/password").text
        assert "四平县公安局 · 梨城义警“八项规章制度”闭环管理" in page
        assert "梨树" not in page
        english = s.client.get("/password", params={"lang": "en"}).text
        assert "四平县公安局 · The eight-step closed loop" in english  # no English name given
        assert "Lishu" not in english.split("<footer", 1)[1]


def test_the_open311_facade_serves_the_countys_own_units(tmp_path: Path) -> None:
    with fresh_county(tmp_path) as s:
        discovery = s.client.get("/open311/discovery.json").json()
        assert discovery["contact"] == "四平县公安局社区警务室。紧急情况请拨打110。"
        assert s.client.get("/open311/v2/services.json").status_code == 200
        lishu_asked = s.client.get("/open311/v2/services.json", params={"jurisdiction_id": "lishu"})
        assert lishu_asked.status_code == 404
        definition = s.client.get("/open311/v2/services/hazard_screening.json").json()
        (community,) = [a for a in definition["attributes"] if a["code"] == "community"]
        assert community["values"] == [
            {"key": "sp/dongcheng/anle", "name": "安乐社区"},
            {"key": "sp/dongcheng/heshun", "name": "和顺村"},
            {"key": "sp/xicheng/minsheng", "name": "民生社区"},
        ]

        issued = s.post(
            "admin-sp",
            "/api/open311/clients",
            {"client_id": "sp-app", "name": "四平随手拍", "jurisdiction": "sp"},
        )
        assert issued.status_code == 201, issued.text
        key = issued.json()["api_key"]
        form = {
            "api_key": key,
            "service_code": "hazard_screening",
            "attribute[community]": "sp/xicheng/minsheng",
            "address_string": "民生小区5号楼",
            "description": "楼道堆放杂物",
        }
        posted = s.client.post("/open311/v2/requests.json", data=form)
        assert posted.status_code == 200, posted.text
        made = posted.json()[0]["service_request_id"]
        one = s.client.get(f"/open311/v2/requests/{made}.json", params={"api_key": key}).json()
        position = s.client.app.state.services.loop.app.recorder.max_notification_id()  # type: ignore[attr-defined]
        listed = s.client.get(
            "/open311/v2/requests.json", params={"api_key": key, "wait_for": position}
        ).json()
        assert one[0]["agency_responsible"] == "民生社区"
        assert [r["agency_responsible"] for r in listed] == ["民生社区"]


def test_the_public_report_form_offers_the_countys_own_communities(tmp_path: Path) -> None:
    with fresh_county(tmp_path) as s:
        form = s.client.get("/public/report").text
        for key, name in [
            ("sp/dongcheng/anle", "安乐社区"),
            ("sp/dongcheng/heshun", "和顺村"),
            ("sp/xicheng/minsheng", "民生社区"),
        ]:
            assert f'<option value="{key}" >{name}</option>' in form
        assert "幸福社区" not in form
        assert "lishu/" not in form
