# Two commands: `make run` starts the product, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: run test test-unit test-integration test-clock test-e2e test-db lint bench install mutants

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m backoffice.cli run

test: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/integration tests/e2e

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

test-integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

# The unit suite at another instant than its fixed default (tests/clock.py), e.g.
# `make test-clock TEST_NOW=2028-02-29T00:20:00+08:00`: what still depends on the date fails.
test-clock: $(STAMP)
	TEST_NOW=$${TEST_NOW:-2027-12-31T23:50:00+08:00} $(PY) -m pytest -q tests/unit

test-e2e: $(STAMP)
	$(PY) -m pytest -q tests/e2e

# Database and queue tests against servers named by DATABASE_URL / REDIS_URL (CI sets them).
test-db: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/integration

lint: $(STAMP)
	$(VENV)/bin/ruff format --check backoffice tests bench
	$(VENV)/bin/ruff check backoffice tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/member_search.py

# Mutation testing of the loyalty and messaging rules and the condition language ([tool.mutmut]
# in pyproject.toml; not part of `make test`, ~20 min on 2 cores). `make mutants MUTANTS=
# "backoffice.services.loyalty.points*"` runs one module; `.venv/bin/mutmut results` lists survivors.
mutants: $(STAMP)
	rm -rf mutants
	nice -n 10 $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
