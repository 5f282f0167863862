"""Smoke runs of the benchmarks with tiny counts: they run and measure both sides."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import postgres_http, recorders
from benchmarks.__main__ import main
from benchmarks.harness import (
    QUICK,
    Context,
    Figure,
    NotMeasured,
    RowSpec,
    Target,
    measurement,
    run_all,
    sized,
)
from benchmarks.load import PythonLoad
from benchmarks.suite import SUITE


def test_the_recorder_benchmark_measures_every_recorder() -> None:
    rates = recorders.measure(incidents=2)
    assert set(rates) == set(recorders.RECORDERS)
    assert all(rate > 0 for rate in rates.values())


def test_the_verification_benchmark_verifies_a_log_it_built() -> None:
    from benchmarks import verification

    count, rate = verification.measure(events=200)
    assert count >= 200
    assert rate > 0


def test_the_benchmarks_measure_postgres_too(postgres_server: str) -> None:
    from benchmarks import verification

    rates = recorders.measure(incidents=2, postgres_url=postgres_server)
    assert set(rates) == set(recorders.RECORDERS) | set(recorders.POSTGRES_RECORDERS)
    assert all(rate > 0 for rate in rates.values())
    count, rate = verification.measure(events=200, postgres_url=postgres_server)
    assert count >= 200
    assert rate > 0


def test_the_projection_benchmark_rebuilds_every_projection_on_a_log_it_read() -> None:
    from benchmarks import projections

    result = projections.measure(events=300, batch_size=50)
    assert result["events"] >= 300
    assert result["read_rate"] > 0
    assert set(result["rebuild_rates"]) == {
        "accounts",
        "backlog",
        "cases",
        "catalogue",
        "georeport",
        "notifications",
        "organisation",
        "registers",
        "scores",
        "talks",
        "tasks",
        "training",
    }
    assert all(rate > 0 for rate in result["rebuild_rates"].values())
    assert result["rebuild_peak_bytes"] > 0


def test_the_export_benchmark_writes_the_same_rows_with_each_writer(tmp_path: Path) -> None:
    import csv

    import openpyxl

    from benchmarks import exports

    for writer in exports.WRITERS:
        path = tmp_path / f"rows.{writer}"
        rate, peak = exports._in_process(writer, 120, path)
        assert rate > 0
        assert peak > 0
        if writer == "xlsx":
            sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            lines = [list(line) for line in sheet.iter_rows(values_only=True)]
        else:
            with path.open(encoding="utf-8-sig", newline="") as made:
                lines = list(csv.reader(made))
        assert len(lines) == 121
        assert lines[1][0] == "00000000-0000-0000-0000-000000000000"


def test_a_quick_bench_run_reports_every_row_in_the_table_and_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "bench.json"
    assert main(["--quick", "--output", str(output)]) == 0
    table = capsys.readouterr().out
    report = json.loads(output.read_text())

    specs = [spec for m in SUITE for spec in sized(m, QUICK).rows]
    rows = {row["key"]: row for row in report["rows"]}
    assert list(rows) == [spec.key for spec in specs]
    assert report["machine"]["cores"] > 0
    assert report["machine"]["cpu"]
    assert report["machine"]["python"]
    assert report["generator"]
    for spec in specs:
        row = rows[spec.key]
        assert spec.label in table
        if row["status"] == "not measured":
            assert row["value"] is None
            assert row["note"]
            continue
        assert row["status"] in ("pass", "fail", "info"), row
        assert row["value"] > 0, row
        if spec.baseline:
            assert row["baseline_value"] > 0, row
            assert row["ratio"] == pytest.approx(row["value"] / row["baseline_value"])
        if spec.target:
            assert row["status"] in ("pass", "fail")
    baselines = [spec.key for m in SUITE if m.kind == "baseline" for spec in m.rows]
    assert all(rows[key]["value"] > 0 for key in baselines)
    http = ["loop.http", "loop.http.ceiling", "loop.http.p99", "projection.lag.p99"]
    assert all(rows[key]["status"] in ("pass", "fail") for key in http)
    checked = rows["loop.http"]["detail"]
    assert (checked["journal_mode"], checked["synchronous"]) == ("wal", "FULL")
    assert checked["verified"]["acknowledged"] >= checked["requests"] - checked["errors"] > 0
    assert checked["verified"]["statuses"].get("5xx", 0) == 0
    flood = rows["login.flood.p99"]["detail"]
    assert flood["attempts"].get("401", 0) > 0  # the flood's passwords were hashed
    assert flood["statuses"].get("5xx", 0) == 0
    assert rows["login.flood.rss"]["status"] in ("pass", "fail")
    assert rows["login.quiet.rss"]["value"] > 0
    assert rows["task.signup.inprocess"]["detail"]["sign_ups"] == QUICK.commands
    assert rows["export.xlsx"]["detail"]["rows"] == QUICK.batched_inserts
    assert rows["export.xlsx.rss"]["status"] in ("pass", "fail")
    for key in ("projection.lag.p99", "projection.lag.process.p99"):
        lag = rows[key]["detail"]
        assert lag["events"] > 0
        assert lag["acknowledged"] == lag["stored"]
    beside = rows["loop.http.process"]  # the projector in its own process, checked alike
    assert beside["baseline_value"] == rows["loop.http"]["value"]
    assert beside["detail"]["verified"]["statuses"].get("5xx", 0) == 0
    assert rows["projection.lag.process.p99"]["status"] in ("pass", "fail")
    signed = rows["task.signup.http"]["detail"]
    assert set(signed["statuses"]) == {"2xx"}  # every sign-up booked, none refused
    assert signed["requests"] > 0
    assert signed["tasks"] > 0
    on_postgres = [rows[key] for key in ("pg.http", "pg.http.naive", "pg.http.noop")]
    if os.environ.get(postgres_http.SERVER_URL_VARIABLE):  # two API processes and a worker
        assert all(row["value"] > 0 for row in on_postgres)
        served = rows["pg.http"]["detail"]
        assert (served["server_processes"], served["verified"]["statuses"]["2xx"]) == (
            2,
            served["verified"]["acknowledged"],
        )
        assert served["verified"]["statuses"].get("5xx", 0) == 0
        assert rows["pg.http.ceiling"]["status"] in ("pass", "fail")
    else:
        assert all(row["status"] == "not measured" for row in on_postgres)
    for page in ("board", "incident", "stats", "volunteer"):
        small, large = rows[f"page.{page}.small"], rows[f"page.{page}.large"]
        assert (small["detail"]["events"], large["detail"]["events"]) == (
            QUICK.small_log_events,
            QUICK.log_events,
        )
        assert large["status"] in ("pass", "fail")


@measurement("base", "baseline", RowSpec("base", "base", "ops/s"))
def _base(ctx: Context) -> dict[str, Figure]:
    return {"base": Figure(100.0)}


@measurement(
    "product",
    "product",
    RowSpec("fast", "fast", "ops/s", "base", Target(">=", 2.0)),
    RowSpec("slow", "slow", "ops/s", "base", Target(">=", 2.0)),
    RowSpec("quick", "quick", "ms", None, Target("<=", 5.0, on="value")),
)
def _product(ctx: Context) -> dict[str, Figure]:
    return {"fast": Figure(250.0), "slow": Figure(150.0), "quick": Figure(6.0)}


@measurement("missing", "product", RowSpec("later", "later", "ops/s", "base", Target(">=", 1.0)))
def _missing(ctx: Context) -> dict[str, Figure]:
    raise NotMeasured("not built yet")


@measurement("broken", "product", RowSpec("zero", "zero", "ops/s"))
def _broken(ctx: Context) -> dict[str, Figure]:
    return {"zero": Figure(0.0)}


def test_rows_are_judged_on_the_ratio_to_their_baseline_or_on_the_figure(tmp_path: Path) -> None:
    context = Context(QUICK, tmp_path, PythonLoad())
    rows = {r.spec.key: r for r in run_all([_base, _product, _missing, _broken], context)}
    assert rows["base"].status == "info"
    assert (rows["fast"].ratio, rows["fast"].status) == (2.5, "pass")
    assert (rows["slow"].ratio, rows["slow"].status) == (1.5, "fail")
    assert (rows["quick"].ratio, rows["quick"].status) == (None, "fail")
    assert (rows["later"].value, rows["later"].status) == (None, "not measured")
    assert rows["later"].note == "not built yet"
    assert (rows["zero"].value, rows["zero"].status) == (None, "error")


def test_labels_name_the_sizes_the_run_used(tmp_path: Path) -> None:
    @measurement(
        "sizes",
        "product",
        RowSpec("small", "query, {small_log_events} events", "ms"),
        RowSpec("large", "query, {log_events} events", "ms"),
    )
    def sizes(ctx: Context) -> dict[str, Figure]:
        return {"small": Figure(1.0), "large": Figure(1.0)}

    counts = replace(QUICK, log_events=200_000, small_log_events=10_000)
    small, large = run_all([sizes], Context(counts, tmp_path, PythonLoad()))
    assert (small.spec.label, large.spec.label) == ("query, 10k events", "query, 200k events")
    odd = replace(QUICK, log_events=1_234_567, small_log_events=1_000_000)
    small, large = run_all([sizes], Context(odd, tmp_path, PythonLoad()))
    assert (small.spec.label, large.spec.label) == ("query, 1M events", "query, 1,234,567 events")


def test_without_wrk_the_python_generator_loads_the_server_and_says_so(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    assert (
        main(["--quick", "--only", "no-op", "--generator", "python", "--output", str(output)]) == 0
    )
    report = json.loads(output.read_text())
    assert report["generator"] == PythonLoad.name
    rate, p99 = report["rows"]
    assert (rate["key"], p99["key"]) == ("http.noop", "http.noop.p99")
    assert rate["value"] > 0
    assert p99["value"] > 0
    assert rate["detail"]["generator"] == PythonLoad.name
    assert rate["detail"]["requests"] > rate["detail"]["errors"]


def test_rounds_report_each_rows_median_and_keep_every_rounds_value(tmp_path: Path) -> None:
    values = iter([300.0, 100.0, 200.0])
    calls: list[str] = []

    @measurement("varying", "baseline", RowSpec("varying", "varying", "ops/s"))
    def varying(ctx: Context) -> dict[str, Figure]:
        return {"varying": Figure(next(values))}

    @measurement("absent", "product", RowSpec("absent", "absent", "ops/s"))
    def absent(ctx: Context) -> dict[str, Figure]:
        calls.append("absent")
        raise NotMeasured("not built yet")

    context = Context(QUICK, tmp_path, PythonLoad())
    varying_row, absent_row = run_all([varying, absent], context, rounds=3)
    assert varying_row.value == 200.0
    assert varying_row.detail["rounds"] == [300.0, 100.0, 200.0]
    assert (absent_row.status, calls) == ("not measured", ["absent"])


def test_a_second_round_measures_afresh(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    argv = [
        "--quick",
        "--rounds",
        "2",
        "--only",
        "raw sqlite3",
        "--only",
        "get+mutate",
        "--only",
        "in process",
    ]
    assert main([*argv, "--output", str(output)]) == 0
    rows = json.loads(output.read_text())["rows"]
    assert [r["key"] for r in rows] == [
        "sqlite.single",
        "sqlite.batched",
        "es.command",
        "loop.inprocess",
    ]
    assert all(len(r["detail"]["rounds"]) == 2 for r in rows)


def test_the_loop_over_http_is_checked_against_the_store(tmp_path: Path) -> None:
    from benchmarks import loop_http

    db = tmp_path / "loop.db"
    loop_http.prepare(db, 3)
    with pytest.raises(AssertionError, match="not in the store"):
        loop_http.verify(db, {"2xx": 1}, [999], 0)
    with pytest.raises(AssertionError, match="5xx"):
        loop_http.verify(db, {"2xx": 0, "5xx": 1}, [], 0)
    assert loop_http.verify(db, {"2xx": 0}, [], 0)["stored"] == 0


def test_the_python_generator_counts_answers_and_keeps_the_captured_field(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from benchmarks.baselines import command_request
    from benchmarks.servers import serve

    request = replace(command_request("/noop/{n}", 5), capture="number")
    with serve("benchmarks.apps:create_noop_app", {}, tmp_path) as url:
        result = PythonLoad().run(url, request, 2, 1)
    assert result.statuses == {"2xx": result.requests}
    assert sorted(set(result.captured)) == [0, 1, 2, 3, 4]


def test_the_notification_benchmark_measures_latency_and_throughput(tmp_path: Path) -> None:
    from benchmarks import notifications

    latency = notifications.alert_latency(tmp_path, incidents=2, interval=0.5)
    assert latency["messages"] == 6  # due soon, due and overdue of each
    assert 0 <= latency["p50_ms"] <= latency["p95_ms"] <= latency["max_ms"]
    rate = notifications.dispatch_rate(f"sqlite:///{tmp_path / 'd.db'}", deliveries=20)
    assert (rate["deliveries"], rate["workers"]) == (20, 1)
    assert rate["rate"] > 0


def test_the_roll_benchmark_imports_a_roll_it_generated_once(tmp_path: Path) -> None:
    from benchmarks import roll_import

    ctx = Context(replace(QUICK, roll_rows=60), tmp_path, PythonLoad())
    figures = roll_import.roll_import.run(ctx)
    assert set(figures) == {"roll.check", "roll.import", "roll.again"}
    assert figures["roll.import"].detail["rows"] == 60
    assert figures["roll.import"].detail["events"] >= 60 * 8  # five, one and two per row
    assert all(f.value > 0 for f in figures.values())
