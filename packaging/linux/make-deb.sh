#!/usr/bin/env bash
# Packs the PyInstaller build (dist/softphone) as a Debian package for Debian 12+ and
# Ubuntu 22.04+, to install with `apt install ./softphone_VERSION_amd64.deb` (apt fetches
# the system libraries it depends on) or a software distribution tool. It installs
#   /opt/softphone/                              the programs and their libraries
#   /usr/bin/softphone, /usr/bin/softphone-cli
#   /usr/share/applications/softphone.desktop   (menu entry, tel:/sip:/sips: links)
#   /usr/share/metainfo/com.example.Softphone.metainfo.xml
#   /usr/share/icons/hicolor/scalable/apps/softphone.svg
#   /usr/lib/udev/rules.d/70-softphone-headsets.rules  (headset buttons and lights)
# Usage: packaging/linux/make-deb.sh [BUILD_DIR] [OUTPUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/dist/softphone}"
output="${2:-$root/dist}"
version="$("$build/softphone-cli" --version | awk '{print $2}')"
architecture="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

share="$stage/usr/share"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$share/applications" \
    "$share/metainfo" "$share/icons/hicolor/scalable/apps" "$stage/usr/lib/udev/rules.d"
cp -a "$build" "$stage/opt/softphone"
ln -s /opt/softphone/softphone "$stage/usr/bin/softphone"
ln -s /opt/softphone/softphone-cli "$stage/usr/bin/softphone-cli"
install -m 644 "$root/packaging/linux/softphone.desktop" "$share/applications/"
install -m 644 "$root/packaging/linux/com.example.Softphone.metainfo.xml" "$share/metainfo/"
install -m 644 "$root/resources/icons/app.svg" \
    "$share/icons/hicolor/scalable/apps/softphone.svg"
install -m 644 "$root/packaging/linux/70-softphone-headsets.rules" "$stage/usr/lib/udev/rules.d/"

# What the build takes from the system: PortAudio (loaded by name, with the system's
# ALSA and PulseAudio plugins), OpenGL/EGL, Wayland's client libraries and D-Bus, and
# what Qt's X11 platform plugin loads.
cat > "$stage/DEBIAN/control" <<CONTROL
Package: softphone
Version: $version
Architecture: $architecture
Maintainer: Softphone <support@softphone.invalid>
Section: comm
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: libc6 (>= 2.35), libportaudio2, libasound2, libegl1, libgl1, libfontconfig1,
 libwayland-client0, libwayland-cursor0, libwayland-egl1,
 libdbus-1-3, libglib2.0-0, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0,
 libxcb-icccm4, libxcb-keysyms1, libxcb-shape0
Recommends: gnome-keyring | kwalletmanager, pulseaudio | pipewire-pulse
Description: desktop softphone for call-center agents
 Takes and makes the call centre's calls through the agent's headset, shows the
 caller's customer card from the CRM while the call rings, takes orders from the
 keyboard and keeps working from an encrypted local copy while the CRM is down.
CONTROL

# After installing or removing: let the person at the seat use a plugged-in headset's
# buttons at once, and refresh the menus. Not when dpkg installs into another root.
for script in postinst postrm; do
    cat > "$stage/DEBIAN/$script" <<'SCRIPT'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ]; then
    if command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload 2>/dev/null || true
        udevadm trigger --subsystem-match=hidraw 2>/dev/null || true
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
fi
exit 0
SCRIPT
    chmod 755 "$stage/DEBIAN/$script"
done

mkdir -p "$output"
package="$output/softphone_${version}_${architecture}.deb"
dpkg-deb --root-owner-group -Zzstd --build "$stage" "$package" >/dev/null
echo "$package"
