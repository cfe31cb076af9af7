# Two commands do all the set-up on a fresh machine:
#   make run    build the environment if needed, run the default scenario
#   make test   build the environment if needed, run the test suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-engine lint clean venv

run: $(STAMP)
	$(VENV)/bin/sim run $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(VENV)/bin/sim bench

bench-engine: $(STAMP)
	$(PY) benchmarks/bench_engine.py

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks experiments

venv: $(STAMP)

$(STAMP): pyproject.toml .ci/find-python
	@py=$$(bash .ci/find-python) || exit 1; \
	echo "using $$py"; \
	[ -x $(PY) ] || $$py -m venv $(VENV); \
	$(PY) -m pip install -q --upgrade pip; \
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) results .pytest_cache
