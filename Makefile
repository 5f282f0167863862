# Lishu Loop: `make run` starts the main job, `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
REPORTS := reports

.PHONY: run test lint types pytest policy demo clean postgres

$(READY): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(READY)

run: $(READY)
	$(BIN)/lishu demo

# The policy report reads pytest's cucumber JSON; pytest's own summary line is
# repeated last so the run closes on it.
test: lint types pytest policy
	@tail -n 1 $(REPORTS)/pytest.log

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(READY)
	$(BIN)/mypy

# The PostgreSQL suites run against the server named by LISHU_TEST_POSTGRES_URL;
# when it is unset, scripts/postgres-up installs and starts one on loopback (as
# root). Without a server those tests skip, and in CI (CI=true) a skip fails.
pytest: $(READY)
	mkdir -p $(REPORTS)
	set -o pipefail; \
	url="$${LISHU_TEST_POSTGRES_URL:-$$(scripts/postgres-up || true)}"; \
	if [ -z "$$url" ]; then echo "make: no PostgreSQL server; its tests will skip (fail in CI)" >&2; fi; \
	LISHU_TEST_POSTGRES_URL="$$url" $(BIN)/pytest --cucumberjson=$(REPORTS)/cucumber.json \
		| tee $(REPORTS)/pytest.log

postgres:
	scripts/postgres-up

policy: $(READY)
	$(BIN)/lishu policy --report $(REPORTS)/cucumber.json

clean:
	rm -rf $(VENV) $(REPORTS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
