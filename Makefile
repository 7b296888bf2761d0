# The two entry points a newcomer needs (see README.md). Each creates .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
# jsonschema imports rfc3987-syntax (pulled in by jupyter-events' jsonschema[format-nongpl]) as it is
# itself imported, and that compiles ~40 grammars: 2.5 s in every Jupyter server, Voila, nbclient and
# `recops training` process (jsonschema#1392, #1521). It only checks the "iri" format, which nothing
# here validates; without it jsonschema skips that format. Measured: `import nbformat,
# jupyter_server.serverapp` 3.1-3.5 s with it, 0.8-0.9 s without.
DROP_SLOW_IMPORT = $(PY) -m pip uninstall -y -q rfc3987-syntax 2>/dev/null || true

.PHONY: lab test sandbox lint bench screenshots

$(VENV)/.lab: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[lab]'
	$(DROP_SLOW_IMPORT)
	touch $@

$(VENV)/.dev: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(DROP_SLOW_IMPORT)
	touch $@ $(VENV)/.lab

# The main job: JupyterLab on notebooks/ with the demo sandbox (or the org, if credentials are set).
# Options of `recops lab` pass through ARGS (or LAB_ARGS): make lab ARGS="--port 9999 --no-browser"
LAB_ARGS ?= $(ARGS)
lab: $(VENV)/.lab
	$(VENV)/bin/recops lab $(LAB_ARGS)

# Ruff, the architecture's import contracts (pyproject.toml), then every test: the SDK against the
# sandbox, the CLI, widgets, notebooks, the browser, the Hub.
# The test files run on TEST_WORKERS workers (pytest-xdist; a file and its fixtures stay on one
# worker); TEST_WORKERS=0 runs them in this process. The 25 slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --durations=25

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
