"""The keyboard map: one table that makes the actions, their tooltips and the help dialog.

The call keys are Ctrl+Shift+letter so they never collide with text editing in the
number field (Ctrl+A, Ctrl+E, Ctrl+D...) nor with a CRM's own keys, and the letter says
what they do: Answer, Decline, End call, Hold, Mute, Transfer, Keypad. Plain Return
dials from the number field; Escape never hangs up. On macOS Ctrl means Cmd.

Everything here runs on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.gui import resources


@dataclass(frozen=True)
class ActionSpec:
    """One command: its label (with a mnemonic), key, what it does, and icon."""

    name: str
    text: str
    shortcut: str
    help: str
    icon: str = ""
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("answer", "&Answer", "Ctrl+Shift+A", "Answer the ringing call", "answer"),
    ActionSpec("decline", "&Decline", "Ctrl+Shift+D", "Decline the ringing call", "hangup"),
    ActionSpec("hangup", "Hang &up", "Ctrl+Shift+E", "End the selected call", "hangup"),
    ActionSpec("hold", "H&old", "Ctrl+Shift+H", "Put the selected call on hold, or resume it",
               "hold", checkable=True),
    ActionSpec("mute", "&Mute", "Ctrl+Shift+M", "Turn your microphone off or back on", "mute",
               checkable=True),
    ActionSpec("transfer", "&Transfer…", "Ctrl+Shift+T",
               "Send the selected call to another number (blind transfer)", "transfer"),
    ActionSpec("keypad", "&Keypad", "Ctrl+Shift+K",
               "Show the keypad to send tones (menu choices) during a call", "dialpad",
               checkable=True),
    ActionSpec("redial", "&Redial", "Ctrl+Shift+L",
               "Call the last number you dialled again (as the headset's redial button does)"),
    ActionSpec("focus_number", "Go to &number field", "Ctrl+L",
               "Put the cursor in the number field"),
    ActionSpec("calls_tab", "Show &calls", "Ctrl+1", "Show the list of current calls"),
    ActionSpec("history_tab", "Show &history", "Ctrl+2", "Show the call history"),
    ActionSpec("settings", "&Settings…", "Ctrl+,", "Account, audio devices and call options"),
    ActionSpec("password", "Enter &password…", "", "Type the SIP password and sign in again"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "F1", "List every keyboard shortcut"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Stop the softphone (calls are ended)"),
)

#: Keys that are not menu actions, for the help dialog: (keys, what they do).
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("Return (in the number field)", "Call the number or SIP address typed"),
    ("Return or double-click (in History)", "Call that number back"),
    ("0 to 9, *, # (keypad focused)", "Send tones during a call (or type the number)"),
    ("Tab / Shift+Tab", "Move between fields and buttons"),
    ("Alt + underlined letter", "Press that button"),
)

SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}


def translate(text: str) -> str:
    return QCoreApplication.translate("Shortcuts", text)


def native_keys(shortcut: str) -> str:
    """``shortcut`` as this platform writes it (Ctrl+Shift+A, ⌘⇧A)."""
    return QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)


def tooltip_for(spec: ActionSpec) -> str:
    help_text = translate(spec.help)
    return f"{help_text} ({native_keys(spec.shortcut)})" if spec.shortcut else help_text


def make_action(spec: ActionSpec, parent: QObject) -> QAction:
    """A QAction for ``spec``: text, key (window-wide), tooltip and icon."""
    action = QAction(translate(spec.text), parent)
    action.setObjectName(f"action_{spec.name}")
    if spec.shortcut:
        action.setShortcut(QKeySequence(spec.shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tooltip_for(spec))
    action.setStatusTip(translate(spec.help))
    action.setCheckable(spec.checkable)
    if spec.icon:
        action.setIcon(resources.icon(spec.icon))
    return action


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every key, from the same table as the actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        rows = [(native_keys(s.shortcut), translate(s.help)) for s in ACTIONS if s.shortcut]
        rows += [(translate(keys), translate(text)) for keys, text in OTHER_KEYS]
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("What it does")])
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        # Long descriptions wrap onto a second line instead of ending in "…".
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(700, 560)
