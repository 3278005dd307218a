#!/usr/bin/env bash
# Packs the PyInstaller build (dist/softphone) for Linux machines: a tarball to extract
# at / as root, which installs
#   /opt/softphone/                        the programs and their libraries
#   /usr/local/bin/softphone, softphone-cli
#   /usr/local/share/applications/softphone.desktop   (menu entry, tel:/sip: links)
#   /usr/local/share/metainfo/com.example.Softphone.metainfo.xml
#   /usr/local/share/icons/hicolor/scalable/apps/softphone.svg
#   /etc/udev/rules.d/70-softphone-headsets.rules     (headset buttons and lights; then
#                                                      `udevadm control --reload`)
# On Debian and Ubuntu, make-deb.sh makes a package of the same instead.
# Usage: packaging/linux/make-tarball.sh [BUILD_DIR] [OUTPUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/dist/softphone}"
output="${2:-$root/dist}"
version="$("$build/softphone-cli" --version | awk '{print $2}')"
name="softphone-$version-linux-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/opt" "$stage/usr/local/bin" "$stage/usr/local/share/applications" \
    "$stage/usr/local/share/metainfo" "$stage/usr/local/share/icons/hicolor/scalable/apps" \
    "$stage/etc/udev/rules.d"
cp -a "$build" "$stage/opt/softphone"
ln -s /opt/softphone/softphone "$stage/usr/local/bin/softphone"
ln -s /opt/softphone/softphone-cli "$stage/usr/local/bin/softphone-cli"
install -m 644 "$root/packaging/linux/softphone.desktop" "$stage/usr/local/share/applications/"
install -m 644 "$root/packaging/linux/com.example.Softphone.metainfo.xml" \
    "$stage/usr/local/share/metainfo/"
install -m 644 "$root/resources/icons/app.svg" \
    "$stage/usr/local/share/icons/hicolor/scalable/apps/softphone.svg"
install -m 644 "$root/packaging/linux/70-softphone-headsets.rules" "$stage/etc/udev/rules.d/"
mkdir -p "$output"
tar -C "$stage" --owner=0 --group=0 -czf "$output/$name.tar.gz" opt usr etc
echo "$output/$name.tar.gz"
