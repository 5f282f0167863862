"""Self-registration: a member of the public applies to serve, with no log-in
(Fuping's "注册审核" module, Gucheng's "招募队员"), and the application enters the
joint review every application goes through (``loop.services.volunteers``).

Fuping: "专门研发'蓝马甲'队伍管理软件小程序，设立注册审核、任务发布、通知公告、警圈等
模块". Gucheng: "集教育培训、发布任务、招募隊員等多種功能于一體的'故城義警'小程序" and
"精準招募時…廣泛吸納群眾并嚴格政審、登記造冊".

A form is answered once: it carries a :class:`Challenges` question (simple
arithmetic in zh-CN, which a person on a cheap phone answers and no third party
is asked about), signed with an HMAC key, valid for minutes and spent when
answered, right or wrong. The application's volunteer id follows from the
question's nonce, so the same form can record one application at most, across
processes too (the store refuses a second aggregate under that id). The
applicant's name, phone, ID number and address are his :class:`PersonalData`,
encrypted under his own key as every volunteer's are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from aggregates.personal import PersonalData
from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.rules import inputs
from loop.rules.counties import LISHU, CountyPreset
from loop.rules.vocabulary import IntakeRole
from loop.services.organisation import Registry
from loop.services.volunteers import VolunteerAck, personal_details
from loop.storage.application import LoopApplication

CHALLENGE_TTL = timedelta(minutes=10)
TOKEN = re.compile(r"^([A-Za-z0-9_-]{16})\.(\d{10})\.([0-9a-f]{64})$")
ANSWER = re.compile(r"^\s*(\d{1,3})\s*$")


class ChallengeRefused(InvalidInput):
    """The form's question was answered wrongly, has expired or was answered before."""

    code = "challenge_refused"


class UnknownCommunity(InvalidInput):
    code = "unknown_community"


@dataclass(frozen=True)
class Challenge:
    token: str
    question: str  # zh-CN: "3 加 4 等于几？"
    expires: datetime


def _refused(reason: str, zh: str, en: str) -> ChallengeRefused:
    return ChallengeRefused(zh, en, field="answer", reason=reason)


class Challenges:
    """Questions a person answers in a second, signed so that nothing is stored
    until one is answered; an answered one is remembered until it expires."""

    def __init__(
        self,
        key: bytes,
        clock: Callable[[], datetime],
        ttl: timedelta = CHALLENGE_TTL,
    ) -> None:
        self.key, self.clock, self.ttl = key, clock, ttl
        self._spent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._random = secrets.SystemRandom()

    def issue(self) -> Challenge:
        a, b = self._random.randint(2, 9), self._random.randint(1, 9)
        if self._random.random() < 0.5:
            a, b = max(a, b), min(a, b)
            question, answer = f"{a} 减 {b} 等于几？", a - b
        else:
            question, answer = f"{a} 加 {b} 等于几？", a + b
        nonce = secrets.token_urlsafe(12)
        expires = self.clock() + self.ttl
        stamp = int(expires.timestamp())
        return Challenge(f"{nonce}.{stamp}.{self._sign(nonce, stamp, answer)}", question, expires)

    def _sign(self, nonce: str, stamp: int, answer: int) -> str:
        text = f"lishu-loop:join-challenge:{nonce}:{stamp}:{answer}"
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def spend(self, token: Any, answer: Any) -> str:
        """The challenge's nonce if ``answer`` answers it; refused (and spent) if the
        answer is wrong, refused if it expired or was answered before."""
        found = TOKEN.match(token) if isinstance(token, str) else None
        now = int(self.clock().timestamp())
        if found is None or int(found[2]) < now:
            raise _refused(
                "expired", "验证题已过期，请重新作答", "the question has expired; answer a new one"
            )
        nonce, stamp, signature = found[1], int(found[2]), found[3]
        with self._lock:
            self._spent = {n: s for n, s in self._spent.items() if s >= now}
            if nonce in self._spent:
                raise _refused(
                    "reused",
                    "这道验证题已经作答过，请勿重复提交；如需重新报名请刷新页面",
                    "the question was answered before; reload the form to apply again",
                )
            self._spent[nonce] = stamp
        given = ANSWER.match(answer) if isinstance(answer, str) else None
        if given is None or not hmac.compare_digest(
            signature, self._sign(nonce, stamp, int(given[1]))
        ):
            raise _refused("wrong", "验证题答案不对，请重新作答", "wrong answer to the question")
        return nonce


def volunteer_id_of(nonce: str) -> str:
    """The id an application made with the question ``nonce`` is recorded under."""
    return "join-" + hashlib.sha256(f"lishu-loop:join:{nonce}".encode()).hexdigest()[:16]


class SelfRegistration:
    """Records the public's applications in the one application store ``app``."""

    def __init__(
        self, app: LoopApplication, registry: Registry, county: CountyPreset = LISHU
    ) -> None:
        self.app, self.registry, self.county = app, registry, county

    def communities(self) -> list[str]:
        tree = self.registry.tree()
        return [u.code for u in tree if u.active and tree.is_community(u.code)]

    def apply(
        self,
        nonce: str,
        *,
        community: Any,
        name: Any,
        phone: Any,
        id_number: Any,
        address: Any,
        employer: Any,
        occupation: Any,
        party_member: bool = False,
    ) -> VolunteerAck:
        """Record the application of the person who answered ``nonce``'s question:
        awaiting the review of his employer, the station and the community."""
        details = personal_details(name, phone, id_number, address)
        checked_employer = inputs.text("employer", employer, max_len=100)
        checked_occupation = self.county.occupation(occupation)
        if not isinstance(community, str) or community not in self.communities():
            raise UnknownCommunity(
                "请选择本县登记的社区或村",
                "choose a community or village registered in the county",
                field="community",
            )
        vid = volunteer_id_of(nonce)
        if volunteer_aggregate_id(vid) in self.app.repository:
            raise _refused(
                "reused",
                "这份报名表已经提交过，请勿重复提交",
                "this form was sent before; it is not recorded twice",
            )
        applicant = Actor(vid, IntakeRole.RESIDENT.value, community)
        volunteer = Volunteer.apply_to_join(
            applicant,
            self.app.clock(),
            volunteer_id=vid,
            personal=PersonalData(vid, details),
            employer=checked_employer,
            occupation=checked_occupation,
            community=community,
            party_member=bool(party_member),
        )
        try:
            position = self.app.commit(volunteer)
        except ConcurrencyConflict:
            raise _refused("reused", "这份报名表已经提交过", "this form was sent before") from None
        return VolunteerAck(vid, volunteer.version, volunteer.status, position)
