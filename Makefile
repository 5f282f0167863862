# Lishu Loop: `make run` starts the main job, `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
REPORTS := reports

.PHONY: run test lint types pytest policy demo clean

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

pytest: $(READY)
	mkdir -p $(REPORTS)
	set -o pipefail; $(BIN)/pytest --cucumberjson=$(REPORTS)/cucumber.json | tee $(REPORTS)/pytest.log

policy: $(READY)
	$(BIN)/lishu policy --report $(REPORTS)/cucumber.json

clean:
	rm -rf $(VENV) $(REPORTS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
