#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs when missing (Debian packages with
# apt-get, Python packages in .venv), then lint, type checks and pytest. Exit status 0
# only when everything passed.
#
# The tests start their own peers: Kamailio, baresip, PulseAudio and a private
# gnome-keyring inside a D-Bus session of their own.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
    kamailio kamailio-tls-modules baresip sip-tester
    pulseaudio pulseaudio-utils libasound2-plugins libportaudio2
    gnome-keyring libsecret-tools dbus postgresql desktop-file-utils appstream
    libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

echo "== ruff"
.venv/bin/ruff check softphone tests
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# A private home for the keyring, PulseAudio and Qt, so the run leaves the machine as it was.
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
mkdir -p "$test_home/runtime" && chmod 700 "$test_home/runtime"
export HOME="$test_home" XDG_RUNTIME_DIR="$test_home/runtime" \
    XDG_DATA_HOME="$test_home/data" XDG_CONFIG_HOME="$test_home/config" \
    QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1
exec dbus-run-session -- sh -c '
    printf %s test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec .venv/bin/python -m pytest -p no:cacheprovider --durations=25 "$@"
' sh "$@"
