# One set of commands for people and CI (.ci/run calls `make ci`).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ARTICLE ?= ../shared/data/articles/jiaxing-theme-education-2020-01-09.txt

.PHONY: setup system-deps run summarize test test-fast reliability load bench lint format ci clean

# The CPU wheel of torch 2.13.0 goes in first: anything that lets pip pick torch
# itself pulls a multi-GB CUDA build. constraints.txt pins everything else.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Debian packages the browser and compose tests use (root, or sudo).
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei docker-compose redis-server

# The main job on the embedded defaults: the API, a worker and an embedded Redis.
run: setup
	$(BIN)/newsum serve

# One article, in-process, no Redis, no worker.
summarize: setup
	$(BIN)/newsum summarize $(ARTICLE) --format md

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not integration and not browser and not reliability"

# Faults (killed workers, Redis restarts, time limits), hostile input, access.
reliability: setup
	$(BIN)/python -m pytest -m reliability tests/reliability

# Bounded load test on loopback: its own Redis, worker and API; stops by itself.
load: setup
	$(BIN)/python -m bench.load

# Speed: naive vs transformers vs CTranslate2 vs the service (see bench/README.md).
bench: setup
	$(BIN)/python -m bench.run

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the import rules of docs/architecture.md

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ci: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
