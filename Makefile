# The two entry points a newcomer needs (see README.md). Each creates .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: lab test sandbox lint bench screenshots

$(VENV)/.lab: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[lab]'
	touch $@

$(VENV)/.dev: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.lab

# The main job: JupyterLab on notebooks/ with the demo sandbox (or the org, if credentials are set).
# Options of `recops lab` pass through ARGS (or LAB_ARGS): make lab ARGS="--port 9999 --no-browser"
LAB_ARGS ?= $(ARGS)
lab: $(VENV)/.lab
	$(VENV)/bin/recops lab $(LAB_ARGS)

# Ruff, the architecture's import contracts (pyproject.toml), then every test: the SDK against the
# sandbox, the CLI, widgets, notebooks, the browser, the Hub.
test: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

sandbox: $(VENV)/.lab
	$(VENV)/bin/recops sandbox serve

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(VENV)/.dev
	$(PY) -m benchmarks

# The pictures in README.md and docs/, retaken by the browser tests (tests/browser) into a scratch
# folder, then copied over docs/img/; tests/test_layout.py checks each is listed here and shown.
DOC_SHOTS := control_panel state_table export_panel voila_landing voila_walkthrough trainer_board
screenshots: $(VENV)/.dev
	rm -rf .shots
	RECOPS_TEST_OUTPUT=$(CURDIR)/.shots $(VENV)/bin/pytest -q tests/browser
	for shot in $(DOC_SHOTS); do cp .shots/$$shot.png docs/img/$$shot.png; done
	rm -rf .shots
