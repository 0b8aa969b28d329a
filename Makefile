# ConvScope developer commands. `make setup` is idempotent: it creates .venv once and
# (re)installs the project in editable mode with its test tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PACKAGE_STAMP := $(VENV)/.package-installed

.PHONY: setup run test lint bench clean package package-portable package-test icons

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

# The lab bundle built inside a Debian 11 root (glibc 2.31): runs on Debian 11, Ubuntu 20.04,
# RHEL 9 and newer. Needs root and debootstrap; see docs/lab-deployment.md.
package-portable:
	packaging/portable/build_portable.sh

# Builds the portable bundle unless it is newer than the sources, fails if its glibc floor
# rose above Debian 11's, then runs it copied away from the source tree and inside minimal
# Debian 11 roots (build/roots/): self-test, the lesson, window starts offscreen and on Xvfb.
GLIBC_TARGET := 2.31
GLIBCXX_TARGET := 3.4.28
LAB_ROOTS := build/roots
package-test: $(PACKAGE_STAMP) package-portable
	python3 packaging/glibc_floor.py dist/ConvScope --max-glibc $(GLIBC_TARGET) \
		--max-glibcxx $(GLIBCXX_TARGET)
	packaging/portable/make_root.sh lab $(LAB_ROOTS)/bullseye-lab
	packaging/portable/make_root.sh bare $(LAB_ROOTS)/bullseye-bare
	CONVSCOPE_LAB_ROOTS=$(LAB_ROOTS) QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m slow \
		tests/test_package.py

# Redraws resources/icon.svg, icon-*.png and icon.ico (they are committed).
icons: setup
	$(PY) packaging/make_icons.py

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.run_bench
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.training_probe

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis
