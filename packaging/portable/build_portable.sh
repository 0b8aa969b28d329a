#!/bin/sh
# `make package-portable`: the Linux bundle built inside a Debian 11 root (glibc 2.31), so
# that it starts on Debian 11, Ubuntu 20.04, RHEL 9 and everything newer. Needs root (chroot)
# and debootstrap; the roots live in build/roots/ (about 3 GB, made once).
#   1. build/roots/bullseye-build: Debian 11 with compilers (make_root.sh build)
#   2. CPython 3.11 built there (build_python.sh), once
#   3. a copy of the sources in the root's /src, the dependencies and PyInstaller
#      (build_bundle.sh); the bundle comes back to dist/ConvScope/
#   4. its glibc floor (glibc_floor.py), its size and dist/ConvScope-linux.tar.gz
# Skips 2 and 3 when dist/ConvScope is newer than every source file (its executable carries
# the time the sources were copied).
set -eu
cd "$(dirname "$0")/../.."
here=packaging/portable
roots=${CONVSCOPE_ROOTS:-build/roots}
root=$roots/bullseye-build
bundle=dist/ConvScope

sources_newer() {
    [ ! -x "$bundle/ConvScope" ] && return 0
    [ -n "$(find main.py pyproject.toml engine gui resources packaging -type f \
        -newer "$bundle/ConvScope" ! -path '*/__pycache__/*' | head -n 1)" ]
}

if sources_newer; then
    started=$(date +%s)
    "$here/make_root.sh" build "$root"
    rm -rf "$root/src"; mkdir -p "$root/src"
    touch "$root/src.copied"  # the sources' moment: a file edited during the build is newer
    git ls-files -co --exclude-standard | tar cf - -T - | tar xf - -C "$root/src"
    "$here/in_root.sh" "$root" sh /src/packaging/portable/build_python.sh
    "$here/in_root.sh" "$root" sh /src/packaging/portable/build_bundle.sh
    rm -rf "$bundle"; mkdir -p dist
    mv "$root/src/dist/ConvScope" "$bundle"
    touch -r "$root/src.copied" "$bundle/ConvScope"
    rm -f dist/ConvScope-linux.tar.gz
    echo "built $bundle in $(( $(date +%s) - started )) s"
fi
python3 packaging/glibc_floor.py "$bundle" || true
echo "unpacked: $(du -sm "$bundle" | cut -f1) MB, $(find "$bundle" -type f | wc -l) files"
[ -f dist/ConvScope-linux.tar.gz ] || tar czf dist/ConvScope-linux.tar.gz -C dist ConvScope
echo "dist/ConvScope-linux.tar.gz: $(du -m dist/ConvScope-linux.tar.gz | cut -f1) MB"
