"""``Talks``: the talk menu and talk orders (群众点单、民警接单).

Ping'an: "研究制定既契合主题又能发挥自己专长的'宣讲菜单'", "让群众'点单'，'枫'警宣讲队
现场'接单'". A station keeps its menu; an order is made on the public form or
logged by staff from a call (the orderer's name, phone and place kept encrypted,
shown to the station once it has accepted); the station accepts, declines with a
reason, or forwards it to the station whose area it lies in; schedules it with
speakers, which publishes a duty task they are booked on (their rosters saved
with it, so a speaker is never booked twice at once, even when two schedules
race); delivery completes that task, so the speakers earn their hours and points
once, through the tasks' own path. The orderer's steps, by his private links,
are in :class:`loop.services.talk_links.TalkLinks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from aggregates.actor import Actor
from aggregates.talk_errors import TalkOrderNotFound, TalkRefused
from aggregates.talk_menu import TalkMenu, menu_id
from aggregates.talk_order import TalkOrder
from loop.errors import InvalidInput
from loop.rules import inputs, permissions, units
from loop.rules.talk_access import menu_record, order_record
from loop.rules.talks import (
    FORMATS,
    ORDERER_KINDS,
    SOURCES,
    TALK_POLICY,
    THEMES,
    TalkPolicy,
)
from loop.rules.task_inputs import choice, whole
from loop.rules.vocabulary import IntakeRole
from loop.services import talk_inputs as checks
from loop.services.personal import person
from loop.services.talk_speakers import TalkSpeakers, is_registered
from loop.services.talk_tasks import booked_volunteers
from loop.services.task_signups import retried
from loop.services.tasks import Tasks
from loop.storage.application import LoopApplication

Digest = Callable[[str], str]
ITEM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class MenuAck(NamedTuple):
    unit: str
    item_id: str
    version: int
    position: int | None


class OrderAck(NamedTuple):
    """``link``: a new private link's token, shown once (never stored)."""

    order_id: str
    version: int
    status: str
    unit: str
    task_id: str | None
    position: int | None
    link: str | None = None


def order_uuid(order_id: UUID | str) -> UUID:
    if isinstance(order_id, UUID):
        return order_id
    try:
        return UUID(str(order_id))
    except ValueError:
        raise not_found(order_id) from None


def not_found(order_id: object) -> TalkOrderNotFound:
    return TalkOrderNotFound("宣讲订单不存在", "No such talk order", order_id=str(order_id)[:40])


class Talks:
    """Commands on talk menus and orders, stored in the one application store."""

    def __init__(
        self,
        app: LoopApplication,
        tasks: Tasks,
        digest: Digest,
        policy: TalkPolicy = TALK_POLICY,
        serving: Callable[[str], bool] = lambda _unit: True,
    ) -> None:
        self.app = app
        self.tasks = tasks
        self.digest = digest
        self.policy = policy
        self.serving = serving
        """Whether a unit is registered and in service (the registry's answer)."""
        self.speakers = TalkSpeakers(app, tasks)

    # -- the menu ----------------------------------------------------------------------

    def menu(self, unit: str) -> TalkMenu | None:
        return self.app.find(menu_id(unit), TalkMenu)

    def offer(
        self,
        actor: Actor,
        *,
        theme: str,
        title: str,
        format: str,
        minutes: int,
        audience: str,
        speakers: list[str],
        unit: str | None = None,
        item_id: str | None = None,
    ) -> MenuAck:
        """Put a talk on the menu of ``unit`` (a station or the county bureau; the
        actor's own by default), with the pool of speakers who give it: serving
        volunteers, and the police and outside speakers the station registered."""
        where = unit or actor.unit
        if units.level(where) not in ("station", "county"):
            raise InvalidInput(
                "宣讲菜单属于派出所或县局", "A menu belongs to a station or a county bureau",
                field="unit",
            )  # fmt: skip
        if item_id is not None and not (isinstance(item_id, str) and ITEM_ID.fullmatch(item_id)):
            raise InvalidInput(
                "菜单编号须为1-40位小写字母、数字、-或_", "An item id is 1-40 of a-z, 0-9, - or _",
                field="item_id",
            )  # fmt: skip
        item: dict[str, Any] = {
            "theme": choice("theme", theme, THEMES),
            "title": inputs.text("title", title, max_len=100),
            "format": choice("format", format, FORMATS),
            "minutes": whole("minutes", minutes, 10, self.policy.longest_talk_minutes),
            "audience": inputs.text("audience", audience, max_len=100),
            "speakers": checks.speakers(self.policy, speakers),
        }
        permissions.check("keep_talk_menu", actor, menu_record(where))
        for speaker in item["speakers"]:
            self.speakers.check(speaker, where)
        at = self.app.clock()
        menu = self.menu(where) or TalkMenu.open(actor, at, where)
        chosen = item_id or uuid4().hex[:12]
        menu.offer(actor, at, item_id=chosen, **item)
        return MenuAck(where, chosen, menu.version, self.app.commit(menu))

    def withdraw_item(self, actor: Actor, unit: str, item_id: str, *, reason: str) -> MenuAck:
        why = inputs.prose("reason", reason, max_len=500)
        permissions.check("keep_talk_menu", actor, menu_record(str(unit)))
        menu = self.menu(str(unit))
        if menu is None:
            raise TalkRefused("该单位没有宣讲菜单", "The unit keeps no menu", unit=str(unit))
        menu.withdraw(actor, self.app.clock(), item_id=str(item_id), reason=why)
        return MenuAck(menu.unit, str(item_id), menu.version, self.app.commit(menu))

    # -- ordering ----------------------------------------------------------------------

    def order(
        self,
        actor: Actor,
        *,
        unit: str,
        item_id: str,
        community: str,
        orderer_kind: str,
        window_from: Any,
        window_to: Any,
        name: str,
        phone: str,
        place: str,
        source: str = "public_form",
        order_id: UUID | None = None,
    ) -> OrderAck:
        """Order a talk from ``unit``'s menu, to be given in ``community`` on one of
        the days of the window. A resident orders on the public form; staff log an
        order phoned in. The answer carries the orderer's private link."""
        at = self.app.clock()
        kind = choice("orderer_kind", orderer_kind, ORDERER_KINDS)
        chosen_source = choice("source", source, SOURCES)
        first, last = checks.window(self.policy, at, window_from, window_to)
        contact = {"name": name, "phone": phone, "address": place}
        orderer = person("orderer", contact, self.app.key_store)
        if (
            not units.is_community(community)
            or units.ancestor(community, "county") != units.ancestor(str(unit), "county")
            or not self.serving(community)
        ):
            raise InvalidInput(
                "宣讲地点须为本县的社区（村）", "The talk is given in a community of the county",
                field="community",
            )  # fmt: skip
        if actor.role == IntakeRole.RESIDENT:
            if chosen_source != "public_form" or actor.unit != community:
                raise InvalidInput("点单来源不符", "A resident orders on the public form")
        else:
            permissions.check("log_talk_order", actor, order_record(community))
        menu = self.menu(str(unit))
        if menu is None:
            raise TalkRefused("该单位没有宣讲菜单", "The unit keeps no menu", unit=str(unit))
        item = menu.item(str(item_id))
        if order_id is not None and order_id in self.app.repository:
            raise InvalidInput("订单编号已被使用", "That order id is taken", field="order_id")
        order = TalkOrder.place(
            actor,
            at,
            order_id=order_id,
            unit=menu.unit,
            item_id=str(item_id),
            theme=item["theme"],
            title=item["title"],
            format=item["format"],
            minutes=item["minutes"],
            community=community,
            orderer_kind=kind,
            window_from=first,
            window_to=last,
            orderer=orderer,
            source=chosen_source,
            answer_by=at + self.policy.answer_within,
        )
        link = self.new_link(order, actor, at, "manage")
        return self.ack(order, self.app.commit(order), link)

    # -- the station's answer ----------------------------------------------------------

    def get(self, order_id: UUID | str) -> TalkOrder:
        order = self.app.find(order_uuid(order_id), TalkOrder)
        if order is None:
            raise not_found(order_id)
        return order

    def held(self, actor: Actor, order_id: UUID | str, action: str) -> TalkOrder:
        """The order, if ``actor`` may know of it (else not found), and may ``action`` it."""
        order = self.get(order_id)
        if not permissions.may("read_talk_order", actor, order_record(order.unit)):
            raise not_found(order_id)
        permissions.check(action, actor, order_record(order.unit))
        return order

    def accept(self, actor: Actor, order_id: UUID | str) -> OrderAck:
        """接单: the station takes the order on (and from now sees place and contact)."""
        order = self.held(actor, order_id, "take_talk_order")
        order.accept(actor, self.app.clock())
        return self.ack(order, self.app.commit(order))

    def decline(self, actor: Actor, order_id: UUID | str, *, reason: Any) -> OrderAck:
        """Decline, with the reason the orderer is shown."""
        why = inputs.prose("reason", reason, max_len=500)
        order = self.held(actor, order_id, "take_talk_order")
        order.decline(actor, self.app.clock(), reason=why)
        return self.ack(order, self.app.commit(order))

    def forward(self, actor: Actor, order_id: UUID | str, *, to_unit: str, reason: Any) -> OrderAck:
        """Hand an order for a place outside the station's area to the station
        whose area it lies in; its answer clock starts again there."""
        why = inputs.prose("reason", reason, max_len=500)
        order = self.held(actor, order_id, "take_talk_order")
        if (
            units.level(str(to_unit)) != "station"
            or not units.within(order.community, to_unit)
            or not self.serving(str(to_unit))
        ):
            raise InvalidInput(
                "只能转交给宣讲地点所属的派出所", "Forward to the station whose area it lies in",
                field="to_unit", community=order.community,
            )  # fmt: skip
        at = self.app.clock()
        order.forward(
            actor, at, to_unit=str(to_unit), reason=why, answer_by=at + self.policy.answer_within
        )
        return self.ack(order, self.app.commit(order))

    def schedule(
        self, actor: Actor, order_id: UUID | str, *, starts_at: Any, speakers: Any
    ) -> OrderAck:
        """Give the talk a time on one of the orderer's days and its speakers: a duty
        task is published and they are booked on it; refused if one of them is
        booked at that time (two schedules racing for him: one is refused)."""
        start = inputs.moment("starts_at", starts_at)
        chosen = checks.speakers(self.policy, speakers)
        return retried(lambda: self._schedule(actor, order_id, start, chosen))

    def _schedule(
        self, actor: Actor, order_id: UUID | str, start: datetime, speakers: list[str]
    ) -> OrderAck:
        order = self.held(actor, order_id, "take_talk_order")
        order.check_state("accepted", "排期")
        checks.in_window(start, order.window_from, order.window_to)
        registered = [self.speakers.check(s, order.unit) for s in speakers]
        menu = self.menu(order.unit)
        pool = menu.items.get(order.item_id, {}).get("speakers") if menu else None
        strangers = [s for s in speakers if pool is not None and s not in pool]
        if strangers:
            raise InvalidInput(
                "宣讲人须来自该宣讲的宣讲队", "Speakers come from the talk's pool",
                field="speakers", speakers=strangers,
            )  # fmt: skip
        at = self.app.clock()
        end = checks.talk_end(start, order.minutes)
        volunteers = [s for s in speakers if not is_registered(s)]
        changed: list[Any] = []
        for speaker in registered:  # police and outside speakers: their own bookings
            if speaker is not None:
                speaker.book(actor, at, order_id=str(order.id), starts_at=start, ends_at=end)
                changed.append(speaker)
        slot = (start, end)
        task, booked = booked_volunteers(
            self.tasks, self.policy, actor, at, order, slot, volunteers
        )
        changed += booked
        order.schedule(
            actor,
            at,
            task_id=str(task.id) if task is not None else None,
            speakers=speakers,
            starts_at=start,
            ends_at=end,
        )
        return self.ack(order, self.app.commit(order, *changed))

    def deliver(
        self,
        actor: Actor,
        order_id: UUID | str,
        *,
        reach: Any,
        questions: Any = 0,
        topics_on_site: Any = None,
    ) -> OrderAck:
        """Record the talk as given (人次, questions answered, the topics picked on
        site, counts only): its task is completed with it, so each volunteer who
        checked in earns his hours and points once; police and outside speakers earn
        nothing, their registrations record that they spoke. The orderer gets a
        rating link."""
        done: dict[str, Any] = {
            "reach": whole("reach", reach, 0, 1_000_000),
            "questions": whole("questions", questions, 0, 100_000),
            "topics_on_site": checks.topic_counts(topics_on_site),
        }
        order = self.held(actor, order_id, "take_talk_order")
        at = self.app.clock()
        order.deliver(actor, at, **done)
        link = self.new_link(order, actor, at, "rate")
        spoke = []  # police and outside speakers: who spoke is recorded, no points
        for ref in order.speakers:
            speaker = self.speakers.find(ref)
            if speaker is not None:
                speaker.record_spoken(actor, at, order_id=str(order.id))
                spoke.append(speaker)
        if order.task_id is None:
            return self.ack(order, self.app.commit(order, *spoke), link)
        completed = self.tasks.complete(
            actor, order.task_id, reach=done["reach"], also=(order, *spoke)
        )
        return self.ack(order, completed.position, link)

    def follow_up(self, actor: Actor, order_id: UUID | str, *, note: Any) -> OrderAck:
        """The station's follow-up of a low rating (回访)."""
        text = inputs.prose("note", note, max_len=1000)
        order = self.held(actor, order_id, "take_talk_order")
        order.follow(actor, self.app.clock(), note=text)
        return self.ack(order, self.app.commit(order))

    def cancel(self, actor: Actor, order_id: UUID | str, *, reason: Any) -> OrderAck:
        """The station cancels (the orderer is shown the reason); a scheduled talk's
        task is cancelled and its speakers released in the same save."""
        why = inputs.prose("reason", reason, max_len=500)
        order = self.held(actor, order_id, "take_talk_order")
        at = self.app.clock()
        booked = list(order.speakers)
        released = order.cancel(actor, at, reason=why)
        changed = self.release(released, actor, at, why)
        changed += self.speakers.released(booked, str(order.id), actor, at, "cancelled")
        return self.ack(order, self.app.commit(order, *changed))

    # -- shared ------------------------------------------------------------------------

    def release(self, task_id: str | None, actor: Actor, at: datetime, reason: str) -> list[Any]:
        """Cancel a talk's task and free its speakers' rosters (not yet saved)."""
        if task_id is None:
            return []
        task = self.tasks.get(task_id)
        changed: list[Any] = [task]
        for speaker in task.cancel(actor, at, reason=reason):
            roster = self.tasks.roster(speaker, actor, at)
            roster.release(actor, at, task_id=task_id, reason="cancelled")
            changed.append(roster)
        return changed

    def token_for(self, order_id: UUID, purpose: str, n: int) -> str:
        """The token of the ``n``-th ``purpose`` link of an order: its id, then a keyed
        derivation no one can make without the installation's key. Neither it nor the
        secret is stored anywhere; the order records the token's keyed digest."""
        return f"{order_id.hex}.{self.digest(f'talk-link:{order_id}:{purpose}:{n}')[:40]}"

    def new_link(self, order: TalkOrder, actor: Actor, at: datetime, purpose: str) -> str:
        """A new private link for ``order``; only its keyed digest is recorded."""
        issued = sum(1 for link in order.links.values() if link["purpose"] == purpose)
        token = self.token_for(order.id, purpose, issued)
        lives = (
            self.policy.manage_link_lives if purpose == "manage" else self.policy.rating_link_lives
        )
        order.issue_link(
            actor, at, purpose=purpose, digest=self.digest(token), expires_at=at + lives
        )
        return token

    @staticmethod
    def ack(order: TalkOrder, position: int | None, link: str | None = None) -> OrderAck:
        return OrderAck(
            str(order.id), order.version, order.status, order.unit, order.task_id, position, link
        )
