#!/bin/sh
# Makes a Debian 11 (bullseye, glibc 2.31) root with debootstrap from Debian's default mirror.
#   make_root.sh build ROOT   the build root: compilers and Python's build dependencies, and the
#                             system libraries the bundle carries (PyInstaller copies them)
#   make_root.sh lab ROOT     a minimal lab machine: minbase plus only LAB_PACKAGES
#   make_root.sh bare ROOT    minbase alone: a machine that lacks them (the test of the
#                             messages naming a missing library)
# Idempotent: a root whose stamp file lists the same packages is left as it is.
set -eu
kind=$1
mkdir -p "$2"; root=$(cd "$2" && pwd)  # debootstrap needs an absolute path
here=$(cd "$(dirname "$0")" && pwd)

# What a lab machine must have; docs/lab-deployment.md lists the same packages.
LAB_PACKAGES="libgl1 libegl1 libxcb-icccm4 libxcb-keysyms1 fontconfig-config fonts-dejavu-core"
# CPython 3.11's build dependencies (no tkinter, no curses: the app uses neither).
PYTHON_BUILD="build-essential dpkg-dev ca-certificates xz-utils libssl-dev zlib1g-dev libffi-dev
  libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev uuid-dev binutils"
# The libraries Qt's xcb and offscreen platforms load that a minimal system lacks: they are
# in the build root so that PyInstaller bundles them.
QT_RUNTIME="libglib2.0-0 libdbus-1-3 libfontconfig1 libfreetype6 libpng16-16 libxkbcommon0
  libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxcb-util1 libgl1 libegl1"

stamp="$root/.convscope-root-$kind"
command -v debootstrap >/dev/null || apt-get install -y debootstrap
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase bullseye "$root"
fi
case $kind in
    lab) packages=$LAB_PACKAGES ;;
    bare) packages="" ;;
    build) packages="$PYTHON_BUILD $QT_RUNTIME" ;;
    *) echo "usage: $0 build|lab|bare ROOT" >&2; exit 2 ;;
esac
packages=$(echo $packages)  # one line
# The stamp holds the package list: a root made with another list gets the new packages.
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$packages" ] && { echo "$root: ready"; exit 0; }
[ -z "$packages" ] || "$here/in_root.sh" "$root" sh -c "apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages \
    && apt-get clean"
echo "$packages" > "$stamp"
echo "$root: ready ($kind)"
