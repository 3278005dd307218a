"""Run a command inside a private D-Bus session with an unlocked gnome-keyring.

The ``keyring`` library needs a Secret Service on the session bus; without one it
raises ``NoKeyringError``. This module starts ``dbus-run-session`` with private HOME and
XDG dirs, unlocks a fresh login keyring (``gnome-keyring-daemon --unlock
--components=secrets``) and runs the command in it. When the command ends the bus and
the keyring daemon go away with it.

Run the whole test suite inside one session::

    /tmp/probe-venv/bin/python -m tests.peers.keyring_session -- \\
        /tmp/probe-venv/bin/pytest -q

or from Python::

    result = run_in_keyring_session(["pytest", "-q"], base_dir=Path("/tmp/ks"))

Inside, ``keyring.get_keyring()`` is ``SecretService`` and works without prompts. Do not
install ``keyrings.cryptfile``: it silently becomes the default backend and prompts.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

KEYRING_PASSWORD = "test-keyring"
_INNER = (
    'printf %s "$KEYRING_SESSION_PASSWORD" '
    "| gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
    'exec "$@"'
)


def session_env(base_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment with private HOME and XDG dirs under ``base_dir`` (created)."""
    dirs = {
        "HOME": base_dir / "home",
        "XDG_RUNTIME_DIR": base_dir / "run",
        "XDG_DATA_HOME": base_dir / "home" / ".local" / "share",
        "XDG_CONFIG_HOME": base_dir / "home" / ".config",
        "XDG_CACHE_HOME": base_dir / "home" / ".cache",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    dirs["XDG_RUNTIME_DIR"].chmod(0o700)
    env = {**os.environ, **{key: str(path) for key, path in dirs.items()}}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["KEYRING_SESSION_PASSWORD"] = KEYRING_PASSWORD
    env.update(extra or {})
    return env


def keyring_session_argv(command: Sequence[str]) -> list[str]:
    """argv that runs ``command`` in a new D-Bus session with an unlocked keyring."""
    return ["dbus-run-session", "--", "sh", "-c", _INNER, "keyring-session", *command]


def run_in_keyring_session(
    command: Sequence[str],
    base_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` inside a keyring session; output is inherited, not captured.

    ``base_dir`` holds the private HOME/XDG dirs (a temporary dir if None, removed after).
    """
    if base_dir is None:
        with tempfile.TemporaryDirectory(prefix="keyring-") as tmp:
            return run_in_keyring_session(command, Path(tmp), extra_env, timeout)
    env = session_env(base_dir, extra_env)
    return subprocess.run(keyring_session_argv(command), env=env, timeout=timeout, check=False)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m tests.peers.keyring_session [--dir DIR] -- COMMAND ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="base dir for HOME/XDG dirs")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run")
    args = parser.parse_args(argv)
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("no command given")
    print(f"keyring session: {shlex.join(command)}", file=sys.stderr)
    return run_in_keyring_session(command, args.dir).returncode


if __name__ == "__main__":
    sys.exit(main())
