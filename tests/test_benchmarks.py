"""Smoke runs of the benchmarks with tiny counts: they run and measure both sides."""

from __future__ import annotations

from benchmarks import recorders


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
    assert set(result["rebuild_rates"]) == {"backlog", "cases", "scores"}
    assert all(rate > 0 for rate in result["rebuild_rates"].values())
    assert result["rebuild_peak_bytes"] > 0
