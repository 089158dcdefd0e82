# The two commands of the README. Each installs what it needs and is quick when it is there.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kam-installed
AUTHORING := $(VENV)/.kam-authoring
DEMO_PACK := data/demo/pack/accounts.csv

.PHONY: demo test setup lab lint clean thumbnails

## demo: install, generate the demo client and run its whole engagement into reports/demo/latest
demo: $(STAMP)
	@$(BIN)/kam demo

## test: install, lint (ruff), type-check (mypy) and run the whole test suite (unit, notebooks, end-to-end)
test: $(STAMP) $(DEMO_PACK)
	@$(BIN)/ruff check kamlib tests benchmarks scripts
	@$(BIN)/ruff format --check --quiet kamlib tests benchmarks scripts
	@$(BIN)/mypy
	@$(BIN)/python -m pytest -q --nbval-lax --doctest-modules tests notebooks kamlib

## setup: only install (.venv, the package, system packages for the PDF engine)
setup: $(STAMP)

$(STAMP): pyproject.toml uv.lock scripts/bootstrap.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/bootstrap.sh
	@touch $@

# the notebooks' default engagement is the demo: generate its pack without running it
$(DEMO_PACK): $(STAMP) kamlib/intake/demo.py
	@$(BIN)/kam demo --no-run

## lab: JupyterLab on the notebooks, which open on the demo (installs the authoring tools
## and generates the demo pack the first time); LAB_ARGS="--port 8899" passes options on
lab: $(AUTHORING) $(DEMO_PACK)
	@$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

$(AUTHORING): $(STAMP)
	@EXTRAS=authoring PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/bootstrap.sh
	@touch $@

lint: $(AUTHORING)
	@$(BIN)/ruff check kamlib tests benchmarks scripts
	@$(BIN)/ruff format --check --quiet kamlib tests benchmarks scripts
	@$(BIN)/mypy

## thumbnails: redraw the README's strip of decision pages from reports/demo/latest
thumbnails: $(STAMP)
	@$(BIN)/python scripts/thumbnails.py

## environment.yml: the conda environment, pinned from uv.lock (after `uv lock`)
environment.yml: uv.lock $(STAMP)
	@$(BIN)/python scripts/environment.py

clean:
	rm -rf $(VENV) reports/*/ data/demo/pack
