"""A unit's period report (month, quarter or year) as an XLSX workbook.

The first sheet, 汇总, lists each figure in the seeds' own form and units ("调处
纠纷815起", "线索1800余条", "排查隐患300余处"): the exact value, the "余" form the
county's reports use beside it, the unit, its definition, and where its
drill-down is: a sheet, the rows of it that count (a filter), and how they
count (rows, a column's sum, or a column's median). Each figure is computed
while its drill-down is written, from the same rows, so the two cannot
disagree. The other sheets are the drill-downs, oldest first.

The workbook names no wall-clock time: its document date is the period's end
(or the moment it was made, for a period not yet over), so the report of a
closed period is the same file, byte for byte, each time it is produced.

The first line of 汇总 (and the printable page) states the log position the
report stands on (``log_position``), so a reader can replay the log to it and
make the report again.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from api.export_columns import ATTENDANCE, BACKLOG, INCIDENTS, LEDGER
from api.spreadsheets import Column, XlsxSheets, china_time
from loop.rules.talks import FORMATS, THEMES
from loop.rules.vocabulary import LABELS, Module, OutcomeSource
from projections.base import aware
from projections.exports import ExportQueries, period_bounds
from projections.talk_queries import TalkQueries

MODULE_FIGURES = {  # the module's reports, in the unit the seeds count them in
    Module.DISPUTE_SCREENING: ("排查矛盾纠纷", "起"),
    Module.INFORMATION_COLLECTION: ("收集信息线索", "条"),
    Module.ANTI_FRAUD: ("开展反诈宣传", "次"),
    Module.HAZARD_SCREENING: ("排查安全隐患", "处"),
    Module.TRAFFIC_SAFETY: ("发现交通安全问题", "起"),
    Module.PATROL_PREVENTION: ("巡逻防范发现", "次"),
}
STANDINGS = (
    Column("rank", "名次", "rank", "int"),
    Column("volunteer_id", "义警编号", "volunteer id", "id"),
    Column("community", "社区", "community"),
    Column("score", "期内得分", "score", "int"),
    Column("earned", "获得", "earned", "int"),
    Column("redeemed", "兑换", "redeemed", "int"),
    Column("deducted", "扣减", "deducted", "int"),
    Column("star_level", "星级", "star level", "int"),
)
HOURS = Column("hours_to_outcome", "发现至办结用时（小时）", "hours to outcome", "int")
TALKS = (
    Column("order_id", "订单编号", "order id", "id"),
    Column("delivered_at", "宣讲时间", "given at", "time"),
    Column("community", "社区（村）", "community"),
    Column("theme_zh", "主题", "theme"),
    Column("title", "题目", "title"),
    Column("format_zh", "栏目", "format"),
    Column("reach", "覆盖人次", "reach", "int"),
    Column("questions", "现场答疑", "questions answered", "int"),
    Column("rating", "评价（星）", "rating", "int"),
)
SUMMARY = (
    Column("figure", "指标", "figure"),
    Column("value", "数值", "value", "int"),
    Column("about", "报告口径", "as reported"),
    Column("unit", "单位", "unit"),
    Column("definition", "口径说明", "definition"),
    Column("sheet", "明细表", "drill-down sheet"),
    Column("filter", "明细筛选", "drill-down filter"),
    Column("count", "计算方式", "how counted"),
)


def about(value: int) -> str:
    """The "余" form of the seeds: three significant figures (at least tens), with
    余 when something was left off ("280余", "1830余", "132000余"); exact below 100."""
    if value < 100:
        return str(value)
    step = 10 ** max(1, len(str(value)) - 3)
    floor = value // step * step
    return str(value) if floor == value else f"{floor}余"


@dataclass
class Figure:
    name: str
    unit: str
    definition: str
    sheet: str
    filter: str
    count: str  # rows | sum:<column> | median:<column>
    value: int = 0


class Drill:
    """The rows of one drill-down sheet, passed through while figures count them."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows = rows
        self.counters: list[Callable[[dict[str, Any]], None]] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            for counter in self.counters:
                counter(row)
            yield row


def _in_module(module: str, row: dict[str, Any]) -> bool:
    return bool(row["module"] == module)


def _hours(row: dict[str, Any]) -> dict[str, Any]:
    opened, outcome = row.get("opened_at"), row.get("outcome_at")
    if opened and outcome:
        spent = datetime.fromisoformat(outcome) - datetime.fromisoformat(opened)
        row["hours_to_outcome"] = int(spent.total_seconds() // 3600)
    return row


Sink = Callable[[str, Sequence[Column], Iterable[dict[str, Any]]], int]
"""Where the drill-down rows go: a sheet of the workbook, or nowhere (``_drain``)."""


def _drain(_name: str, _columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> int:
    return sum(1 for _ in rows)


def count_figures(
    queries: ExportQueries,
    unit: str,
    period: str,
    mask: Callable[[dict[str, Any]], dict[str, Any]],
    now: datetime,
    sink: Sink = _drain,
    stars: Sequence[tuple[int, int]] = (),
) -> list[Figure]:
    """The figures of ``unit`` for ``period``, each counted from the drill-down
    rows on their way to ``sink``."""
    _, end = period_bounds(period)
    end_aware = aware(end)
    assert end_aware is not None
    closed = end_aware <= now
    figures: list[Figure] = []

    def rows_where(drill: Drill, figure: Figure, test: Callable[[dict[str, Any]], bool]) -> None:
        def count(row: dict[str, Any]) -> None:
            if test(row):
                figure.value += 1

        figures.append(figure)
        drill.counters.append(count)

    received = Drill(mask(r) for r in queries.cases_in(unit, "reported_at", period))
    everything = Figure("收到警情反馈", "起", "期内反馈至社区警务室的警情", "反馈", "全部", "rows")
    rows_where(received, everything, lambda _r: True)
    for module, (name, counted) in MODULE_FIGURES.items():
        figure = Figure(
            name,
            counted,
            f"期内反馈的「{module.label}」模块警情",
            "反馈",
            f"module = {module.value}",
            "rows",
        )
        rows_where(received, figure, partial(_in_module, module.value))
    sink("反馈", INCIDENTS, received)

    outcomes = Drill(_hours(mask(r)) for r in queries.cases_in(unit, "outcome_at", period))
    done = Figure("办结警情", "起", "期内取得处置结果的警情", "办结", "全部", "rows")
    rows_where(outcomes, done, lambda _r: True)
    sources: dict[str, list[int]] = {}

    def hours(row: dict[str, Any]) -> None:
        if row.get("hours_to_outcome") is not None:
            sources.setdefault(row["outcome_source"], []).append(row["hours_to_outcome"])

    outcomes.counters.append(hours)
    sink("办结", (*INCIDENTS, HOURS), outcomes)
    for source, spent in sorted(sources.items()):
        figures.append(
            Figure(
                f"办结用时中位数（{LABELS[OutcomeSource].get(source, source)}）",
                "小时",
                "发现至办结用时的中位数（取整）",
                "办结",
                f"outcome_source = {source}",
                "median:hours_to_outcome",
                int(statistics.median_low(spent)),
            )
        )

    handed = Drill(mask(r) for r in queries.cases_in(unit, "handed_over_at", period))
    departments: Counter[str] = Counter()
    handed.counters.append(lambda r: departments.update([r["department"] or ""]))
    sink("分流移交", INCIDENTS, handed)
    for department, count in sorted(departments.items()):
        figures.append(
            Figure(
                f"分流移交{department}",
                "起",
                "期内移交管辖部门的警情",
                "分流移交",
                f"department = {department}",
                "rows",
                count,
            )
        )

    ended = Drill(mask(r) for r in queries.cases_in(unit, "closed_at", period, stage="closed"))
    closed_figure = Figure("结案", "起", "期内完成闭环（结案）的警情", "结案", "全部", "rows")
    rows_where(ended, closed_figure, lambda _r: True)
    sink("结案", INCIDENTS, ended)

    moment = end_aware if closed else now
    overdue = Drill(r for r in queries.backlog(unit, as_of=moment) if r["overdue"])
    late = Figure("期末超期未办", "起", "期末仍在办且已超过时限的警情", "期末超期", "全部", "rows")
    rows_where(overdue, late, lambda _r: True)
    sink("期末超期", BACKLOG, overdue)

    entries = Drill(queries.ledger(unit, period=period))
    earned = Figure(
        "发放积分", "分", "期内存入幸福银行的积分", "幸福银行流水", "kind = deposit", "sum:amount"
    )
    spent_points = Figure(
        "兑换积分",
        "分",
        "期内兑换物品支出的积分",
        "幸福银行流水",
        "kind = redemption",
        "-sum:amount",
    )

    def points(row: dict[str, Any]) -> None:
        if row["kind"] == "deposit":
            earned.value += row["amount"]
        elif row["kind"] == "redemption":
            spent_points.value -= row["amount"]

    entries.counters.append(points)
    figures += [earned, spent_points]
    sink("幸福银行流水", LEDGER, entries)

    board = Drill(queries.standings(unit, period, stars=stars))
    ranked = Figure(
        "积分上榜义警", "人", "期内有积分记录的义警（排行见明细）", "积分排行", "全部", "rows"
    )
    scored = Figure(
        "义警期内得分合计", "分", "期内得分（获得减扣分）之和", "积分排行", "全部", "sum:score"
    )

    def standing(row: dict[str, Any]) -> None:
        ranked.value += 1
        scored.value += row["score"]

    board.counters.append(standing)
    figures += [ranked, scored]
    sink("积分排行", STANDINGS, board)

    attended = Drill(queries.attendance(unit, period=period))
    tasks: set[str] = set()
    held = Figure(
        "开展任务", "次", "期内完成的任务（有人出勤）", "任务出勤", "全部", "distinct:task_id"
    )
    people = Figure("参与任务", "人次", "期内完成任务的出勤人次", "任务出勤", "全部", "rows")
    minutes = Figure(
        "服务时长", "分钟", "期内完成任务记入的服务时长", "任务出勤", "全部", "sum:minutes"
    )
    in_hours = Figure(
        "服务时长", "小时", "同上，折合小时（取整）", "任务出勤", "全部", "sum:minutes/60"
    )

    def attend(row: dict[str, Any]) -> None:
        tasks.add(row["task_id"])
        people.value += 1
        minutes.value += row["minutes"] or 0
        held.value, in_hours.value = len(tasks), minutes.value // 60

    attended.counters.append(attend)
    figures += [held, people, minutes, in_hours]
    sink("任务出勤", ATTENDANCE, attended)
    figures += talk_figures(queries, unit, period, sink)
    return figures


def talk_figures(queries: ExportQueries, unit: str, period: str, sink: Sink) -> list[Figure]:
    """Ping'an's 宣讲 (群众点单): talks given, 人次 reached and questions answered in
    ``period``, in all and by theme, from the drill-down of the talks given."""
    start, end = period_bounds(period)
    given = Drill(
        {**r, "theme_zh": THEMES.get(r["theme"], r["theme"]),
         "format_zh": FORMATS.get(r["format"], r["format"])}
        for r in TalkQueries(queries.projector).delivered(unit, start, end)
    )  # fmt: skip
    talks = Figure("开展宣讲", "场", "期内完成的群众点单宣讲", "宣讲", "全部", "rows")
    reach = Figure("宣讲覆盖", "人次", "期内宣讲覆盖的人次", "宣讲", "全部", "sum:reach")
    asked = Figure("现场答疑", "个", "期内宣讲现场解答的问题", "宣讲", "全部", "sum:questions")
    by_theme = {
        theme: Figure(
            f"宣讲覆盖（{label}）",
            "人次",
            f"期内「{label}」主题宣讲覆盖的人次",
            "宣讲",
            f"theme_zh = {label}",
            "sum:reach",
        )
        for theme, label in THEMES.items()
    }

    def count(row: dict[str, Any]) -> None:
        talks.value += 1
        reach.value += row["reach"] or 0
        asked.value += row["questions"] or 0
        by_theme[row["theme"]].value += row["reach"] or 0

    given.counters.append(count)
    sink("宣讲", TALKS, given)
    return [talks, reach, asked, *(f for f in by_theme.values() if f.value)]


@dataclass(frozen=True)
class LogPosition:
    position: int
    closing: bool  # the period's closing position, not the one the figures were read at

    @property
    def zh(self) -> str:
        if self.closing:
            return f"日志位置{self.position}（期末前最后一个事件，重放日志至此可复现本表）"
        return f"读数时日志位置{self.position}（期间未结束，本表随新事件变化）"


def log_position(queries: ExportQueries, period: str, now: datetime) -> LogPosition:
    """The log position a report of ``period`` stands on.

    A closed period states its *closing* position: the last event dated before
    the period's end, found in the log (``ExportQueries.position_before``). Not
    the position the figures were read at: that one moves with every later event
    (even the record of this very export), so stating it would make two reports
    of the same closed period differ, breaking the rule that they are the same
    file byte for byte. The closing position does not move once the period is
    over, and the figures count only what happened before the period's end, so
    replaying the log to it gives them again. (The drill-down rows also show
    what later became of a case, its closing time say, as now known.)

    A period not yet over has no closing position: its report states the lowest
    position of the read models just before the figures were read, which the
    figures include at least."""
    _, end = period_bounds(period)
    end_aware = aware(end)
    assert end_aware is not None
    if end_aware <= now:
        return LogPosition(queries.position_before(end), closing=True)
    return LogPosition(queries.read_position(), closing=False)


def summary_rows(figures: Iterable[Figure]) -> list[dict[str, Any]]:
    """The summary's lines: each figure with its 余 form and its drill-down."""
    return [
        {
            "figure": f.name,
            "value": f.value,
            "about": f"{about(f.value)}{f.unit}",
            "unit": f.unit,
            "definition": f.definition,
            "sheet": f.sheet,
            "filter": f.filter,
            "count": f.count,
        }
        for f in figures
    ]


def write_report(
    path: Path,
    queries: ExportQueries,
    unit: str,
    period: str,
    mask: Callable[[dict[str, Any]], dict[str, Any]],
    now: datetime,
    stars: Sequence[tuple[int, int]] = (),
) -> int:
    """The report of ``unit`` for ``period`` at ``path``; how many figures it holds."""
    start, end = period_bounds(period)
    since, until = china_time(aware(start)), china_time(aware(end))
    assert until is not None
    stands_on = log_position(queries, period, now)
    book = XlsxSheets(path)
    book.workbook.set_custom_property("log_position", stands_on.position)
    book.workbook.set_properties(
        {
            "title": f"{unit} {period} 工作报表",
            "author": "Lishu Loop",
            "created": china_time(min(end.replace(tzinfo=UTC), now)),
        }
    )
    summary = book.workbook.add_worksheet("汇总")  # first, written last
    figures = count_figures(queries, unit, period, mask, now, book.sheet, stars)
    title = f"{unit} {period} 工作报表（{since}至{until}，北京时间）"
    summary.write_string(0, 0, f"{title} {stands_on.zh}")
    for index, column in enumerate(SUMMARY):
        summary.write_string(1, index, column.header, book.bold)
    for line, values in enumerate(summary_rows(figures), start=2):
        for index, column in enumerate(SUMMARY):
            book.cell(summary, line, index, values[column.key], column.kind)
    book.close()
    return len(figures)
