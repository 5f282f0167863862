"""The crash soak's clients: each acts in one community, taking reports around the
loop (report, accept, escalate and chase or handle locally, outcome, score, two
signatures, reward, close), redeeming points and deducting some, every command
with an ``Idempotency-Key``. An unanswered request (the service was killed) is
sent again with the same key until it is answered; some answered ones are sent
again too. Every answer is kept in the ledger, by key."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.seed import DEMO_PASSWORD, extra_volunteers
from loop import demo
from tests.crash.harness import Service

EVENTS = {
    "report": Counter({"Incident.Discovered": 1, "Incident.Reported": 1}),
    "accept": Counter({"Incident.AcceptedForHandling": 1}),
    "escalate": Counter({"Incident.Escalated": 1}),
    "chase": Counter({"Incident.FollowUpChased": 1}),
    "outcome": Counter({"Incident.OutcomeRecorded": 1}),
    "score": Counter({"Incident.ScoreProposed": 1}),
    "sign": Counter({"Incident.ScoreSigned": 1}),
    "reward": Counter({"Incident.Rewarded": 1, "PointsAccount.Deposited": 1}),
    "close": Counter({"Incident.Closed": 1}),
    "redeem": Counter({"PointsAccount.Redeemed": 1, "RewardItem.HandedOut": 1}),
    "deduct": Counter({"PointsAccount.Deducted": 1}),
}
"""The events each command stores when it is applied."""

GIVE_UP_SECONDS = 180.0


@dataclass
class Sent:
    """One keyed command and every answer it got (status, body without ``replayed``)."""

    kind: str
    user: str
    path: str
    body: Any
    key: str
    answers: list[tuple[int, Any]] = field(default_factory=list)
    unanswered: int = 0  # attempts that got no answer (the service was down or killed)

    @property
    def first(self) -> tuple[int, Any] | None:
        return self.answers[0] if self.answers else None

    @property
    def since_applied(self) -> list[tuple[int, Any]]:
        """The answers from the first that applied it (2xx) on: all must be the same.
        (An earlier refusal stored nothing; sending it again was a new attempt.)"""
        for n, (status, _) in enumerate(self.answers):
            if 200 <= status < 300:
                return self.answers[n:]
        return []


def plain(answer: httpx.Response) -> tuple[int, Any]:
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "replayed"}
    return answer.status_code, body


class Worker(threading.Thread):
    """One client, in one community, as its volunteer and its staff."""

    def __init__(self, n: int, service: Service, stop: threading.Event, seed: int) -> None:
        super().__init__(name=f"soak-client-{n}", daemon=True)
        self.n = n
        self.service = service
        self.stop = stop
        self.rng = random.Random(seed * 1000 + n)
        people = [p for p, _, _ in extra_volunteers()]
        self.volunteer = people[n % len(people)]
        self.cadre, self.director, self.officer = demo.DIRECTORS[self.volunteer.unit]
        self.http = httpx.Client(base_url=service.url, timeout=30)
        self.tokens: dict[str, str] = {}
        self.sent: list[Sent] = []
        self.count = 0
        self.error: BaseException | None = None

    # -- sending -----------------------------------------------------------------

    def _token(self, username: str) -> str:
        if username not in self.tokens:
            body = {"username": username, "password": DEMO_PASSWORD}
            status, answer = self._until_answered(
                lambda: self.http.post("/api/auth/login", json=body)
            )
            assert status == 200, answer
            self.tokens[username] = answer["access_token"]
        return self.tokens[username]

    def _until_answered(self, send: Any, sent: Sent | None = None) -> tuple[int, Any]:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            try:
                return plain(send())
            except httpx.TransportError:
                if sent is not None:
                    sent.unanswered += 1
                if time.monotonic() > deadline:
                    raise
                time.sleep(self.rng.uniform(0.05, 0.3))

    def post(self, sent: Sent) -> tuple[int, Any]:
        """Send ``sent`` (again) until it is answered; keep the answer."""
        headers = {
            "Authorization": f"Bearer {self._token(sent.user)}",
            "Idempotency-Key": sent.key,
        }
        answer = self._until_answered(
            lambda: self.http.post(sent.path, json=sent.body, headers=headers), sent
        )
        sent.answers.append(answer)
        return answer

    def command(self, kind: str, user: str, path: str, body: Any = None) -> Any:
        self.count += 1
        sent = Sent(kind, user, path, body, f"soak-{self.n}-{self.count}-{self.rng.random():.12f}")
        self.sent.append(sent)
        status, answer = self.post(sent)
        if self.rng.random() < 0.15:  # a client that did not see the answer sends it again
            self.post(sent)
        return answer if 200 <= status < 300 else None

    # -- the workload --------------------------------------------------------------

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.round()
        except BaseException as error:  # reported by the soak
            self.error = error

    def step(self, incident: str, name: str, user: str, body: Any = None) -> bool:
        path = f"/api/incidents/{incident}/{name}"
        return self.command(name, user, path, body) is not None

    def round(self) -> None:
        v, o = self.volunteer.id, self.officer.id
        report = {
            "module": self.rng.choice(["hazard_screening", "patrol_prevention", "traffic_safety"]),
            "sense": "seen",
            "what": f"巡逻发现隐患（客户端{self.n}第{self.count}条）",
            "where": f"小区{self.rng.randint(1, 30)}号楼",
            "channel": "app",
        }
        made = self.command("report", v, "/api/incidents", report)
        if made is None:
            return
        i = made["incident_id"]
        steps: list[tuple[str, str, Any]] = [("accept", o, None)]
        if self.rng.random() < 0.4:
            station = demo.STATION_OFFICER.id
            steps += [
                ("escalate", o, {"reason": "需派出所调查"}),
                ("accept", station, None),
                ("chase", o, {"asked": demo.STATION, "answer": "正在调查"}),
                ("outcome", station, {"summary": "派出所已处置"}),
            ]
        else:
            steps += [("outcome", o, {"summary": "社区民警已处置"})]
        points = self.rng.randint(5, 30)
        steps += [
            (
                "score",
                self.cadre.id,
                {"items": [{"item": "隐患排查", "points": points}], "basis": "及时"},
            ),
            ("sign", self.director.id, None),
            ("sign", o, None),
            ("reward", o, None),
            ("close", o, None),
        ]
        for name, user, body in steps:
            if self.stop.is_set() or not self.step(i, name, user, body):
                return
        self.redeem_or_deduct()

    def redeem_or_deduct(self) -> None:
        v = self.volunteer.id
        if self.rng.random() < 0.2:
            path = f"/api/accounts/{v}/deductions"
            self.command("deduct", self.officer.id, path, {"reason": "未按时巡逻", "points": 1})
            return
        items = self.items()
        if items:
            item = self.rng.choice(items)
            path = f"/api/accounts/{v}/redemptions"
            self.command("redeem", v, path, {"item_id": item, "quantity": 1})

    def items(self) -> list[str]:
        headers = {"Authorization": f"Bearer {self._token(self.volunteer.id)}"}
        status, answer = self._until_answered(
            lambda: self.http.get("/api/catalogue", headers=headers)
        )
        return [i["item_id"] for i in answer["items"]] if status == 200 else []
