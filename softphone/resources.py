"""Where the app's ``resources/`` directory (icons, sounds, styles, translations) is.

- ``SOFTPHONE_RESOURCES`` in the environment wins (installers and tests set it);
- in a PyInstaller build: ``<sys._MEIPASS>/resources``;
- otherwise the ``resources`` directory beside the ``softphone`` package (a checkout).

Imports no Qt; used by the GUI and by the engine (ringtone).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("SOFTPHONE_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"
