# ConvScope developer commands. `make setup` is idempotent: it creates .venv once and
# (re)installs the project in editable mode with its test tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PACKAGE_STAMP := $(VENV)/.package-installed

.PHONY: setup run test lint bench clean package package-test icons

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
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow"

# The lab bundle: a PyInstaller one-folder app in dist/ConvScope/ (see docs/lab-deployment.md).
$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install -e '.[package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build \
		packaging/convscope.spec
	du -sh dist/ConvScope

# Builds the bundle unless dist/ConvScope is newer than the sources, copies it away from the
# source tree and runs its self-test and the lesson there.
package-test: $(PACKAGE_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m slow tests/test_package.py

# Redraws resources/icon.svg, icon-*.png and icon.ico (they are committed).
icons: setup
	$(PY) packaging/make_icons.py

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.run_bench

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis
