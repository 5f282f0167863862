"""Every measurement of ``make bench``, in run order: baselines first, so product
rows can be compared with (and sized from) figures of the same run."""

from __future__ import annotations

from benchmarks import (
    baselines,
    exports,
    login_flood,
    notifications,
    pages,
    postgres_http,
    product,
    roll_import,
    serving,
    tasks,
    tasks_http,
)
from benchmarks.harness import Measurement

SUITE: tuple[Measurement, ...] = (
    baselines.raw_sqlite,
    baselines.es_command,
    baselines.http_noop,
    baselines.http_naive,
    baselines.catch_up,
    product.loop_command_in_process,
    tasks.task_sign_up_in_process,
    roll_import.roll_import,
    product.loop_command_http,
    product.projection_rebuild,
    product.projection_lag,
    serving.loop_command_http_process,
    postgres_http.loop_command_http_postgres,
    tasks_http.task_sign_up_http,
    product.queries,
    pages.console_pages,
    product.rebuild_memory,
    product.state_at_version,
    product.chain_verification,
    login_flood.login_flood,
    notifications.alerts,
    exports.exports,
)
