# Sage ID - the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export SAGEID_DATA_DIR ?= var
export SAGEID_KEY_DIR ?= certs

.PHONY: run test lint typecheck unit system-deps bench clean

# A fresh Debian/Ubuntu lacks python3-venv: scripts/system-deps.sh adds it (quietly, once).
$(BIN)/python:
	@scripts/system-deps.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The provider is the `server` extra (`pip install sageid` alone is the client).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[server]'
	touch $@

# dev = server + the test tools.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

## make run: install, migrate the SQLite database, create keys and demo data, serve on :8000
run: $(STAMP)
	$(BIN)/sageid-idp db upgrade
	$(BIN)/sageid-idp keys list
	$(BIN)/sageid-idp demo
	$(BIN)/sageid-idp serve --host 127.0.0.1 --port 8000

## make test: install with dev extras, then lint, type-check and run the whole suite, printing
## branch coverage of idp, client and shared ([tool.coverage] in pyproject.toml; no gate yet).
## Measuring costs CPU (Python 3.11 traces every call): `make test COVERAGE=` runs without it.
test: $(DEV_STAMP) system-deps lint typecheck unit

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

COVERAGE ?= --cov --cov-report=term

unit: $(DEV_STAMP)
	$(BIN)/pytest $(COVERAGE)

# Browser and desktop tests need Tk, Chromium, Xvfb and ImageMagick; installed once, quietly.
system-deps:
	@scripts/system-deps.sh

bench: $(STAMP)
	@scripts/system-deps.sh wrk
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
