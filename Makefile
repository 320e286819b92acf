# Integration Hub: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help run test bench lint typecheck deps dev-deps python-deps redis-deps browser-deps postgres-deps clean

help:
	@echo "make run    install what is missing, migrate, load the demo, start everything on 127.0.0.1:8000"
	@echo "make test   install what is missing, start Redis, run ruff, mypy and every test"

# Debian splits venv and pip out of python3.11; install them when they are missing.
python-deps:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq python3.11-venv; }

$(VENV)/.base: requirements/base.txt | python-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/base.txt
	@touch $@

$(VENV)/.dev: requirements/dev.txt requirements/base.txt | python-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $(VENV)/.base $@

# Debian packages, installed with apt-get only when missing.
redis-deps:
	@command -v redis-server >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq redis-server; }

# PostgreSQL server binaries: the SQL connector's tests run against a throwaway cluster as well as SQLite.
postgres-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(APT_GET) update -qq && $(APT_GET) install -y -qq postgresql; }

browser-deps:
	@command -v chromium >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; }

deps: $(VENV)/.base redis-deps
dev-deps: $(VENV)/.dev redis-deps browser-deps postgres-deps

run: deps
	@bin/run-local

test: dev-deps
	@bin/run-tests

# Speed and memory of the engine (issue 4): loopback servers, fresh SQLite files under var/bench/, a few
# minutes on two cores; prints a report and writes var/bench.json (its keys: bench/run.py).
bench: dev-deps
	$(BIN)/python -m bench.run

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev-deps
	DEBUG=true $(BIN)/mypy .

clean:
	rm -rf staticfiles test-artifacts .mypy_cache .ruff_cache
