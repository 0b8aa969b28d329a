#!/bin/sh
# Builds CPython 3.11 inside the Debian 11 build root (run through in_root.sh), so that the
# interpreter and libpython need only Debian 11's glibc 2.31. Debian 11 ships Python 3.9 only;
# the source is Debian 12's python3.11 source package, of which only the upstream tarball
# (python3.11_*.orig.tar.*, pristine CPython) is used: Debian's own patches change the
# install layout for Debian's packaging and are not wanted here.
#   build_python.sh [PREFIX]     default /opt/python3.11; idempotent
set -eu
prefix=${1:-/opt/python3.11}
[ -x "$prefix/bin/python3.11" ] && { echo "$prefix: built"; exit 0; }

# A deb-src entry for bookworm, made from the root's own apt line (the default mirror).
list=/etc/apt/sources.list.d/bookworm-src.list
if [ ! -f "$list" ]; then
    sed -n 's/^deb \([^ ]*\) bullseye main.*/deb-src \1 bookworm main/p' /etc/apt/sources.list \
        > "$list"
    apt-get update -q
fi
work=/usr/src/python3.11
rm -rf "$work"; mkdir -p "$work"; cd "$work"
apt-get source --download-only -q python3.11
tar xf python3.11_*.orig.tar.*
cd Python-3.11.*/
# Shared libpython (PyInstaller bundles libpython3.11.so.1.0), found through the rpath.
./configure --prefix="$prefix" --enable-shared --with-ensurepip=install \
    LDFLAGS="-Wl,-rpath,$prefix/lib" > ../configure.log
make -j"$(nproc)" > ../make.log 2>&1 || { tail -n 40 ../make.log; exit 1; }
make install > ../install.log 2>&1
"$prefix/bin/python3.11" -c "import ssl, sqlite3, lzma, bz2, zlib, ctypes, uuid, readline; \
print('built', __import__('sys').version)"
