#!/usr/bin/env bash
# Packs dist/Softphone.app (from `pyinstaller packaging/softphone.spec` on macOS) into a
# disk image with a link to /Applications, and a zip of the bundle.
# Usage: packaging/macos/make-dmg.sh [APP] [OUTPUT_DIR]
# Signing and notarising need the company's Developer ID and are left to the release
# step: codesign --deep --options runtime --entitlements packaging/macos/entitlements.plist
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
app="${1:-$root/dist/Softphone.app}"
output="${2:-$root/dist}"
version="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$app/Contents/Info.plist")"
name="softphone-$version-macos-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

ditto "$app" "$stage/Softphone.app"
ln -s /Applications "$stage/Applications"
mkdir -p "$output"
hdiutil create -volname "Softphone $version" -srcfolder "$stage" -fs HFS+ -format UDZO \
    -ov "$output/$name.dmg"
ditto -c -k --keepParent "$app" "$output/$name.zip"
echo "$output/$name.dmg"
