#!/usr/bin/env bash
# Installs Softphone for the current user on Debian/Ubuntu: the system libraries it
# needs (with sudo when not root), a private virtual environment, and the `softphone`
# command in ~/.local/bin.
set -euo pipefail
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${SOFTPHONE_PREFIX:-$HOME/.local/share/softphone}"

packages=(python3 python3-venv libportaudio2 libegl1 libgl1 libxkbcommon-x11-0
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libdbus-1-3)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

python3 -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install -q --upgrade pip
"$prefix/venv/bin/python" -m pip install -q "$source_dir"
rm -rf "$prefix/resources"
cp -r "$source_dir/resources" "$prefix/resources"
mkdir -p "$HOME/.local/bin"
# The command, with the icons, sounds and styles installed beside the environment.
cat > "$HOME/.local/bin/softphone" <<LAUNCHER
#!/bin/sh
export SOFTPHONE_RESOURCES="$prefix/resources"
exec "$prefix/venv/bin/softphone" "\$@"
LAUNCHER
chmod +x "$HOME/.local/bin/softphone"
echo "Installed: $HOME/.local/bin/softphone"
