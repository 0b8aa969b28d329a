# ConvScope developer commands. `make setup` is idempotent: it creates .venv once and
# (re)installs the project in editable mode with its test tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[test]'
	touch $(STAMP)

run: setup
	$(PY) main.py

lint: setup
	$(PY) -m ruff check .

test: setup lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.run_bench

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis
