# Two commands do all the set-up on a fresh machine:
#   make run    build the environment if needed, run the default scenario
#   make test   build the environment if needed, run the test suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench browser scenarios-doc bench-engine lint clean venv validate viz sweep experiments bench-sweep

run: $(STAMP)
	$(VENV)/bin/sim run $(ARGS)

test: $(STAMP) browser
	$(PY) -m pytest -n 2 -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(VENV)/bin/sim bench --json benchmarks/out/scale.json $(ARGS)

# the real-browser test drives Debian's chromium (never `playwright install`): installed when missing, as root
browser:
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || \
		echo "chromium is not installed: the real-browser test will be skipped"

# the browser view on 127.0.0.1 (front-end assets come with the dev extra: solara-assets)
viz: $(STAMP)
	$(VENV)/bin/sim viz $(ARGS)

scenarios-doc: $(STAMP)
	$(PY) -m sim.library docs/scenarios.md

validate: $(STAMP)
	$(VENV)/bin/sim validate --out docs $(ARGS)

bench-engine: $(STAMP)
	$(PY) benchmarks/bench_engine.py

# a parameter sweep: make sweep SPEC=configs/sweeps/tiny_grid.yaml ARGS="--workers 2"
SPEC ?= configs/sweeps/tiny_grid.yaml
sweep: $(STAMP)
	$(VENV)/bin/sim sweep $(SPEC) $(ARGS)

# every research script at full size (figures and tables in results/<experiment>/); ARGS="--quick" for a smoke run
experiments: $(STAMP)
	for s in retaliation chip_exemption rare_earths friendshoring sensitivity; do $(PY) experiments/$$s.py $(ARGS) || exit 1; done

bench-sweep: $(STAMP)
	$(PY) benchmarks/bench_sweep.py

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
