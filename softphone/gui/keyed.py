"""Buttons that show their keyboard shortcut, and short lists sized to their rows.

The customer screens are used with the headset on and the hands on the keyboard: every
command has a key, and the key is written on the button ("Take order (Ctrl+Shift+O)"),
not hidden in a tooltip. A button's key works anywhere in its window while the button is
visible and enabled. Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidget, QPushButton, QWidget


def keys(shortcut: str) -> str:
    """A shortcut as this platform writes it (Ctrl+Shift+O, ⌘⇧O)."""
    return QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)


def with_keys(label: str, shortcut: str) -> str:
    """A label that shows its key: "Take order (Ctrl+Shift+O)"."""
    return f"{label} ({keys(shortcut)})" if shortcut else label


def keyed_button(label: str, shortcut: str, help_text: str, parent: QWidget,
                 name: str = "") -> QPushButton:
    """A push button labelled with its key; the key clicks it (window-wide).

    The shortcut belongs to the button, so it does nothing while the button is hidden
    or disabled. ``label`` has no mnemonic: the shortcut is the key.
    """
    button = QPushButton(with_keys(label, shortcut), parent)
    if name:
        button.setObjectName(name)
    button.setAutoDefault(False)
    button.setAccessibleName(label)
    button.setAccessibleDescription(help_text)
    button.setToolTip(f"{help_text} ({keys(shortcut)})" if shortcut else help_text)
    if shortcut:
        key = QShortcut(QKeySequence(shortcut), button)
        key.setContext(Qt.ShortcutContext.WindowShortcut)
        key.activated.connect(button.click)
    return button


def fit_rows(view: QListWidget, most: int) -> None:
    """Make ``view`` exactly as tall as its rows, up to ``most`` rows (then it scrolls)."""
    view.ensurePolished()
    rows = max(1, min(view.count(), most))
    row_height = view.sizeHintForRow(0) if view.count() else view.fontMetrics().height() + 8
    view.setFixedHeight(rows * max(row_height, 1) + 2 * view.frameWidth() + 2)
