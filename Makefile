# Lishu Loop: `make run` starts the main job, `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
REPORTS := reports

.PHONY: run test lint types pytest policy demo clean postgres chromium bench crash-soak oracle-soak

$(READY): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(READY)

# The demo county with a year of history (loop/demo_year) on first start.
run: $(READY)
	LISHU_DEMO_YEAR=true $(BIN)/lishu serve --demo

# The policy report reads pytest's cucumber JSON; pytest's own summary line is
# repeated last so the run closes on it.
test: lint types pytest policy
	@tail -n 1 $(REPORTS)/pytest.log

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

types: $(READY)
	$(BIN)/mypy

# The PostgreSQL suites run against the server named by LISHU_TEST_POSTGRES_URL;
# when it is unset, scripts/postgres-up installs and starts one on loopback (as
# root). The browser tests drive Debian's Chromium, which scripts/chromium-up
# installs when missing (as root). Without either, those tests skip, and in CI
# (CI=true) a skip fails.
pytest: $(READY)
	mkdir -p $(REPORTS)
	scripts/chromium-up >/dev/null || echo "make: no Chromium; the browser tests will skip (fail in CI)" >&2
	set -o pipefail; \
	url="$${LISHU_TEST_POSTGRES_URL:-$$(scripts/postgres-up || true)}"; \
	if [ -z "$$url" ]; then echo "make: no PostgreSQL server; its tests will skip (fail in CI)" >&2; fi; \
	LISHU_TEST_POSTGRES_URL="$$url" $(BIN)/pytest --cucumberjson=$(REPORTS)/cucumber.json \
		| tee $(REPORTS)/pytest.log

postgres:
	scripts/postgres-up

chromium:
	scripts/chromium-up

policy: $(READY)
	$(BIN)/lishu policy --report $(REPORTS)/cucumber.json

# Every benchmark in one run: one table, and reports/bench.json for comparison.
# The HTTP load generator is wrk (Debian package), installed here when missing
# and running as root; without it the benchmarks use a Python generator and say
# so. BENCH_ARGS passes options, e.g. BENCH_ARGS=--quick.
bench: $(READY)
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; } || true; \
	fi
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The crash soak: lishu serve SIGKILLed 30 times under a keyed workload with retries,
# then nothing lost, nothing twice, every retry answered first, verify intact and
# the read models equal to a rebuild. On a new SQLite file, or
# CRASH_SOAK_ARGS="--database-url URL" (also --kills, --clients, --seed, --targeted).
crash-soak: $(READY)
	$(BIN)/python -m tests.crash.soak $(CRASH_SOAK_ARGS)

# The oracle's soak: 100,000 events through the services, every read model compared
# with an independent fold of the log after every batch of 1,000 commands; on a new
# SQLite file, or ORACLE_SOAK_ARGS="--postgres-url URL" (also --events, --seed, --scoring).
oracle-soak: $(READY)
	$(BIN)/python -m tests.oracle $(ORACLE_SOAK_ARGS)

clean:
	rm -rf $(VENV) $(REPORTS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
