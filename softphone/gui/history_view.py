"""The History tab: recent calls from ``CallHistory.recent()``; Return or double-click calls back.

Item views draw their text as plain text, so remote names need no escaping here except
in tooltips. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from softphone.gui.calls_view import format_duration
from softphone.gui.text import one_line, plain_tooltip
from softphone.storage.history import HistoryEntry

ENTRY_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("", "Caller", "When", "Length", "Result")
_MISSED_COLOR = QColor("#b3261e")


def tr(text: str) -> str:
    return QCoreApplication.translate("History", text)


def format_start(started_at: float, now: float | None = None) -> str:
    """Time only for today's calls, date and time for older ones."""
    started = datetime.fromtimestamp(started_at)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return started.strftime("%H:%M") if started.date() == today else started.strftime(
        "%Y-%m-%d %H:%M"
    )


def caller_text(entry: HistoryEntry) -> str:
    """Name over number (two lines), or just the number or address."""
    number = one_line(entry.number or entry.uri)
    name = one_line(entry.display_name)
    return f"{name}\n{number}" if name and number else name or number


def callback_target(entry: HistoryEntry) -> str:
    """What to dial to call back: the number for incoming calls, the address we dialled else."""
    if entry.direction == "incoming":
        return entry.number or entry.uri
    return entry.uri or entry.number


class HistoryView(QTreeWidget):
    """One row per finished call, newest first. ``redial_requested`` carries the target."""

    redial_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels([tr(c) for c in COLUMNS])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAccessibleName(tr("Call history"))
        self.setWordWrap(False)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.itemActivated.connect(self._activated)

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        current = self.currentItem()
        current_id = current.data(0, ENTRY_ROLE).call_id if current is not None else None
        self.clear()
        for entry in entries:
            item = self._item(entry)
            self.addTopLevelItem(item)
            if entry.call_id == current_id:
                self.setCurrentItem(item)

    def entries(self) -> list[HistoryEntry]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.data(0, ENTRY_ROLE) for item in items if item is not None]

    def _item(self, entry: HistoryEntry) -> QTreeWidgetItem:
        incoming = entry.direction == "incoming"
        duration = format_duration(entry.duration_seconds) if entry.answered_at else "—"
        texts = ["↙" if incoming else "↗", caller_text(entry), format_start(entry.started_at),
                 duration, tr(entry.outcome.capitalize())]
        item = QTreeWidgetItem(texts)
        item.setData(0, ENTRY_ROLE, entry)
        item.setToolTip(0, tr("Incoming call") if incoming else tr("Outgoing call"))
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, item.toolTip(0))
        item.setToolTip(1, plain_tooltip("\n".join(filter(None, (
            entry.display_name, entry.number, entry.uri)))))
        item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if entry.outcome == "missed":
            for column in (0, 4):
                item.setForeground(column, _MISSED_COLOR)
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        entry: HistoryEntry = item.data(0, ENTRY_ROLE)
        target = callback_target(entry)
        if target:
            self.redial_requested.emit(target)
