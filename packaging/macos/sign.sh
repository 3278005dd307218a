#!/usr/bin/env bash
# Signs dist/Softphone.app with the company's Developer ID Application certificate, from
# the inside out (every library and program, then the bundle), with the hardened runtime
# and packaging/macos/entitlements.plist, as notarisation requires.
# Usage: packaging/macos/sign.sh "Developer ID Application: Company (TEAMID)" [APP]
# Then pack it (make-dmg.sh) and notarise the disk image:
#   xcrun notarytool submit softphone-VERSION-macos-arm64.dmg --wait \
#       --apple-id ID --team-id TEAMID --password APP_SPECIFIC_PASSWORD
#   xcrun stapler staple softphone-VERSION-macos-arm64.dmg
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
identity="${1:?usage: sign.sh IDENTITY [APP]}"
app="${2:-$root/dist/Softphone.app}"
entitlements="$root/packaging/macos/entitlements.plist"

sign() {
    codesign --force --timestamp --options runtime --entitlements "$entitlements" \
        --sign "$identity" "$@"
}

# Libraries and Python extension modules first, then the three programs, then the bundle.
find "$app/Contents" -type f \( -name '*.dylib' -o -name '*.so' \) -print0 \
    | xargs -0 -n 50 codesign --force --timestamp --options runtime --sign "$identity"
find "$app/Contents/Frameworks" -type d -name '*.framework' -prune -print0 2>/dev/null \
    | xargs -0 -r -n 1 codesign --force --timestamp --options runtime --sign "$identity"
for program in softphone-engine softphone-cli softphone; do
    sign "$app/Contents/MacOS/$program"
done
sign "$app"
codesign --verify --strict --deep --verbose=2 "$app"
