"""The Happiness Bank's year: each month's evaluation of every volunteer (月考评),
each quarter's honours for the volunteers who earned most, redemptions of the
donated goods as points allow, and restocking by the donors."""

from __future__ import annotations

from datetime import timedelta

from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import Loop
from loop.demo_year.cases import Cases
from loop.demo_year.people import People
from loop.demo_year.timeline import CHINA, Script, Timeline

DONORS = {
    demo.XINGFU: demo.CADRE_XF,
    demo.HEPING: demo.CADRE_HP,
    demo.STATION: demo.STATION_OFFICER,
}


class Months:
    def __init__(
        self, loop: Loop, timeline: Timeline, people: People, cases: Cases, items: dict[str, str]
    ) -> None:
        self.loop, self.t, self.people, self.cases = loop, timeline, people, cases
        self.items = items
        self.taken: dict[tuple[str, str], int] = {}
        self.evaluations = self.honours = self.redemptions = 0

    def schedule(self, days: int) -> None:
        first = self.t.day(0).astimezone(CHINA)
        month = first.replace(day=1)
        while True:
            month = (month + timedelta(days=32)).replace(day=1)
            day = (month - first).days
            if day >= days:
                break
            previous = f"{month - timedelta(days=1):%Y-%m}"
            self.t.at(self.t.day(day, 9), "evaluate", self.evaluate(previous))
            if month.month in (1, 4, 7, 10):
                quarter = f"{month - timedelta(days=1):%Y}-Q{(month.month - 2) % 12 // 3 + 1}"
                self.t.at(self.t.day(day + 3, 10), "honour", self.honour(quarter))
        for n in range(days // 9):
            self.t.at(self.t.day(9 * n + 4, 16), "redeem", self.redeem())
        for n in range(days // 30):
            self.t.at(self.t.day(30 * n + 15, 11), "restock", self.restock())

    def evaluate(self, month: str) -> Script:
        """The director evaluates last month for everyone serving by its end."""
        bank = self.loop.bank
        for volunteer in list(self.people.serving):
            director = demo.DIRECTORS[volunteer.unit][1]
            passed = self.t.rng.random() > 0.05
            note = "本月按时参加任务，表现良好" if passed else "本月未完成考核任务"
            try:
                bank.evaluate_month(director, volunteer.id, month=month, passed=passed, note=note)
            except DomainError:  # a preset whose no-shows fail the month (Fuping)
                bank.evaluate_month(
                    director, volunteer.id, month=month, passed=False, note="本月任务缺勤"
                )
            self.evaluations += 1
            yield timedelta(minutes=self.t.rng.randint(1, 9))

    def honour(self, quarter: str) -> Script:
        """The station honours the quarter's two keenest volunteers."""
        earned = self.cases.earned.get(quarter, {})
        best = sorted(earned, key=lambda v: (-earned[v], v))[:2]
        honours = self.loop.bank.scoring.honours
        for rank, volunteer_id in enumerate(best):
            self.loop.bank.award_honour(
                demo.STATION_OFFICER, volunteer_id, honour=honours[rank % len(honours)],
                period=quarter, reason=f"{quarter}累计获得积分{earned[volunteer_id]}分，表现突出",
            )  # fmt: skip
            self.honours += 1
            yield timedelta(minutes=5)

    def redeem(self) -> Script:
        """A volunteer with enough points takes something from his community's bank."""
        bank = self.loop.bank
        for _ in range(self.t.rng.randint(1, 3)):
            volunteer = self.people.pick(self.t)
            balance = bank.balance(volunteer.id).balance
            choices = []
            for name, item_id in self.items.items():
                item = bank.item(item_id)
                limit = item.limit_per_volunteer
                if (
                    item.bank in (volunteer.unit, demo.STATION)
                    and item.stock > 0
                    and item.price <= balance
                    and (limit is None or self.taken.get((volunteer.id, name), 0) < limit)
                ):
                    choices.append(name)
            if choices:
                name = self.t.rng.choice(choices)
                bank.redeem(volunteer, volunteer.id, self.items[name])
                self.taken[(volunteer.id, name)] = self.taken.get((volunteer.id, name), 0) + 1
                self.redemptions += 1
            yield self.t.hours(0.5, 3)

    def restock(self) -> Script:
        bank = self.loop.bank
        for item_id in self.items.values():
            item = bank.item(item_id)
            if item.stock < 5:
                bank.restock(DONORS[item.bank], item_id, quantity=10, donor=item.donors[0])
                yield timedelta(minutes=10)
