#!/bin/sh
# Inside the Debian 11 build root (run through in_root.sh): a virtualenv on the Python that
# build_python.sh made, the project's dependencies under packaging/bundle-constraints.txt, and
# PyInstaller on packaging/convscope.spec. The sources are a copy in /src; the bundle is
# /src/dist/ConvScope.
#   build_bundle.sh deps     only the virtualenv and the dependencies
#   build_bundle.sh          both, then the bundle
set -eu
python=/opt/python3.11/bin/python3.11
venv=/opt/convscope-venv
src=/src
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
stamp="$venv/.installed-$(cat "$src/pyproject.toml" "$src/packaging/bundle-constraints.txt" \
    | md5sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -c "$src/packaging/bundle-constraints.txt" \
        -e "$src[package]"
    touch "$stamp"
fi
[ "${1:-}" = deps ] && exit 0
cd "$src"
"$venv/bin/python" -m PyInstaller --noconfirm --clean --distpath dist --workpath build \
    packaging/convscope.spec
