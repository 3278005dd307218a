"""Start at login: the per-user entry each desktop reads, written or removed to match
``app.start_at_login``. Imports no Qt; runs on whichever thread changes the setting.

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/softphone.desktop``.
- Windows: the ``Softphone`` value under ``HKCU\\...\\CurrentVersion\\Run``.
- macOS: ``~/Library/LaunchAgents/com.softphone.desktop.plist``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import plistlib
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

ENTRY_NAME = "Softphone"
LAUNCH_AGENT_LABEL = "com.softphone.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How this installation starts the app: the frozen executable, else the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "softphone"]


def xdg_entry_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "softphone.desktop"


def launch_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def desktop_entry(command: Sequence[str]) -> str:
    return "\n".join([
        "[Desktop Entry]", "Type=Application", f"Name={ENTRY_NAME}",
        "Comment=Softphone for call-center agents",
        f"Exec={shlex.join(command)}", "Icon=softphone", "Terminal=false",
        "X-GNOME-Autostart-enabled=true", "",
    ])


def launch_agent(command: Sequence[str]) -> bytes:
    return plistlib.dumps({"Label": LAUNCH_AGENT_LABEL, "ProgramArguments": list(command),
                           "RunAtLoad": True, "ProcessType": "Interactive"})


def apply(enabled: bool, command: Sequence[str] | None = None) -> None:
    """Create or remove this user's start-at-login entry; raises OSError on failure."""
    argv = list(command or launch_command())
    if sys.platform == "win32":
        _apply_windows(enabled, argv)
        return
    path = launch_agent_path() if sys.platform == "darwin" else xdg_entry_path()
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        path.write_bytes(launch_agent(argv))
    else:
        path.write_text(desktop_entry(argv), encoding="utf-8")
    log.info("Start at login: %s", path)


def _apply_windows(enabled: bool, argv: list[str]) -> None:
    if sys.platform != "win32":  # keeps type checkers on other systems out of winreg
        raise OSError("the Run key exists only on Windows")
    import subprocess
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if enabled:
            winreg.SetValueEx(key, ENTRY_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(argv))
        else:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, ENTRY_NAME)
