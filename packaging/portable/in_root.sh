#!/bin/sh
# Runs a command inside a Debian root (made by make_root.sh) with /proc and /dev mounted in a
# private mount namespace, so every mount disappears when the command ends, even on failure.
#   usage: in_root.sh ROOT COMMAND [ARGS...]
set -eu
root=$(cd "$1" && pwd); shift
# The host's network settings: its resolver, and its trust store (pip inside the root checks
# the registry's certificate against it, as pip on the host does).
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" \
    && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca-certificates.crt"
exec unshare --mount --fork /bin/sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    [ -d /tmp/.X11-unix ] && mkdir -p "$root/tmp/.X11-unix" \
        && mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        PIP_CERT=/etc/ssl/certs/host-ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
        ${DISPLAY:+DISPLAY=$DISPLAY} "$@"
' in_root "$root" "$@"
