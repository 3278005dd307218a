"""Finding the app's icons, stylesheet and translations on disk.

Where ``resources/`` is:

- in a repository checkout (or an editable install): the ``resources`` directory beside
  the ``softphone`` package, i.e. ``<checkout>/resources``;
- in a PyInstaller build: ``<sys._MEIPASS>/resources`` (the spec must bundle the
  directory under that name, e.g. ``datas=[("resources", "resources")]``);
- anywhere else: the directory named by the ``SOFTPHONE_RESOURCES`` environment variable,
  which wins over both (for packagers and tests).

A missing file is logged and replaced by an empty icon or stylesheet: the app still works.
Everything here runs on the GUI thread (QIcon needs a QGuiApplication).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from PySide6.QtGui import QIcon

from softphone.resources import resources_dir

log = logging.getLogger(__name__)

#: Icon names, without ".svg", that the GUI uses.
ICON_NAMES = (
    "app", "answer", "hangup", "hold", "mute", "transfer", "dialpad",
    "tray-registered", "tray-offline", "tray-ringing", "tray-in-call",
    "chevron-down", "chevron-up",
)


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / f"{name}.svg"


@functools.cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``; an empty icon if it is missing."""
    path = icon_path(name)
    if not path.is_file():
        log.warning("Icon %s not found at %s", name, path)
        return QIcon()
    return QIcon(str(path))


def stylesheet() -> str:
    """The text of ``resources/styles/app.qss`` (empty if missing).

    ``@ICONS@`` in the file becomes the icons directory, so ``url(@ICONS@/x.svg)`` works
    wherever the resources are installed.
    """
    path = resources_dir() / "styles" / "app.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("Stylesheet not loaded: %s", exc)
        return ""
    return text.replace("@ICONS@", (resources_dir() / "icons").as_posix())


def translations_dir() -> Path:
    """Where ``softphone_<locale>.qm`` files live."""
    return resources_dir() / "translations"
