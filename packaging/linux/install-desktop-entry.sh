#!/bin/sh
# Put ConvScope in the desktop's application menu, with its icon. Run it from the unpacked
# ConvScope folder (it is copied next to the ConvScope executable):
#   ./install-desktop-entry.sh                 this user only (~/.local/share), no admin rights
#   sudo ./install-desktop-entry.sh --system   every user (/usr/local/share)
# The menu entry starts the ConvScope executable in this folder: install after moving it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--system" ]; then
    share=/usr/local/share
else
    share=${XDG_DATA_HOME:-$HOME/.local/share}
fi
icons="$here/_internal/resources"
for size in 16 24 32 48 64 128 256; do
    mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
    cp "$icons/icon-$size.png" "$share/icons/hicolor/${size}x${size}/apps/convscope.png"
done
mkdir -p "$share/icons/hicolor/scalable/apps" "$share/applications"
cp "$icons/icon.svg" "$share/icons/hicolor/scalable/apps/convscope.svg"
sed "s|^Exec=.*|Exec=\"$here/ConvScope\" %f|" "$here/convscope.desktop" \
    > "$share/applications/convscope.desktop"
chmod 644 "$share/applications/convscope.desktop"
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database "$share/applications" 2>/dev/null || true
echo "ConvScope added to the application menu ($share/applications/convscope.desktop)"
