# FeedGraph — the two commands a newcomer needs are `make run` and `make test`.
# Everything they need is installed here, from the project's own files.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Reinstalled when the dependency ranges or their locked versions change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: run test services stop status lint venv bench-smoke lock

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

# Re-resolves pyproject.toml's ranges in a throwaway venv (newest versions the index serves) and writes
# the result to constraints.txt, keeping its header; run the suite before committing the new lock.
lock:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install -q '.[dev]'; \
	{ grep '^#' constraints.txt; "$$tmp/venv/bin/python" -m pip freeze --exclude feedgraph; } > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" constraints.txt; echo "constraints.txt: $$(grep -vc '^#' constraints.txt) packages"

services:
	@bash infra/services.sh start

stop:
	@bash infra/services.sh stop

status:
	@bash infra/services.sh status

# Serves the API on http://127.0.0.1:8000 (OpenAPI at /docs) and runs the worker; Ctrl-C stops both.
# Timelines and caches on the Redis without persistence that `make services` starts (as in production).
run: venv services
	@export FEEDGRAPH_CACHE_REDIS_URL="$${FEEDGRAPH_CACHE_REDIS_URL:-redis://127.0.0.1:$${FEEDGRAPH_REDIS_CACHE_PORT:-6380}/0}"; \
	$(BIN)/feedgraph demo load && $(BIN)/feedgraph serve --with-worker

test: venv services
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark on a tiny dataset (also part of `make test`); full runs: docs/BENCHMARKS.md.
bench-smoke: venv services
	@$(BIN)/python -m pytest tests/integration/test_bench_smoke.py -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
