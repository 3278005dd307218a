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
from softphone.gui.text import plain_tooltip
from softphone.storage.history import HistoryEntry

ENTRY_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("", "Name", "Number", "Started", "Duration", "Result")
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
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAccessibleName(tr("Call history"))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(2, 110)
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
        root = self.invisibleRootItem()
        return [root.child(i).data(0, ENTRY_ROLE) for i in range(root.childCount())]

    def _item(self, entry: HistoryEntry) -> QTreeWidgetItem:
        incoming = entry.direction == "incoming"
        duration = format_duration(entry.duration_seconds) if entry.answered_at else "—"
        texts = ["↙" if incoming else "↗", entry.display_name or entry.number or entry.uri,
                 entry.number or entry.uri, format_start(entry.started_at), duration,
                 tr(entry.outcome.capitalize())]
        item = QTreeWidgetItem(texts)
        item.setData(0, ENTRY_ROLE, entry)
        item.setToolTip(0, tr("Incoming call") if incoming else tr("Outgoing call"))
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, item.toolTip(0))
        item.setToolTip(1, plain_tooltip(texts[1]))
        item.setToolTip(2, plain_tooltip(entry.uri or entry.number))
        item.setTextAlignment(4, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if entry.outcome == "missed":
            for column in (0, 5):
                item.setForeground(column, _MISSED_COLOR)
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        entry: HistoryEntry = item.data(0, ENTRY_ROLE)
        target = callback_target(entry)
        if target:
            self.redial_requested.emit(target)
