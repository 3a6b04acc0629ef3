# Every target sets itself up: a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean browser systemd

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check bot tests benchmarks run_bot.py
	$(PY) -m ruff format --check bot tests benchmarks run_bot.py
	$(PY) -m mypy bot

# The dashboard's browser tests drive Debian's chromium (never `playwright install`); as root.
# Their accessibility audit injects axe-core, from the npm registry, kept inside the venv.
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

$(AXE):
	command -v npm >/dev/null || (apt-get update && apt-get install -y npm)
	npm install --no-audit --no-fund --silent --prefix $(VENV)/node axe-core@4

browser: $(AXE)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# tests/test_deploy.py checks deploy/'s units with Debian's systemd-analyze; as root.
systemd:
	command -v systemd-analyze >/dev/null || (apt-get update && apt-get install -y systemd)

test: lint browser systemd
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) run_bot.py demo

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) demo-output test-output
