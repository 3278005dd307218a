"""The History tab: recent calls from ``CallHistory``; Return or double-click calls back.

Item views draw their text as plain text, so remote names need no escaping here except
in tooltips. Everything here runs on the GUI thread, except ``HistoryView._deliver``,
which the database worker calls and which only emits a signal.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from softphone.gui.calls_view import format_duration
from softphone.gui.text import one_line, plain_tooltip
from softphone.storage.history import CallHistory, HistoryEntry

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
    """One row per finished call, newest first. ``redial_requested`` carries the target.

    ``refresh`` reads the history on the database worker: the GUI thread never waits for
    it. Refreshes asked for while one is in flight are coalesced into one more read.
    ``load_failed`` carries the exception when a read fails.
    """

    redial_requested = Signal(str)
    load_failed = Signal(object)
    _loaded = Signal(object)  # list[HistoryEntry] or the exception; emitted off-thread

    def __init__(self, history: CallHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._loading = False
        self._next_limit: int | None = None  # a refresh asked for during a read
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
        # Emitted on the worker thread, so Qt queues the call to the GUI thread.
        self._loaded.connect(self._on_loaded)

    @property
    def loading(self) -> bool:
        """Whether a read of the history is in flight."""
        return self._loading

    def refresh(self, limit: int) -> None:
        """Ask for the newest ``limit`` calls; the rows change when they arrive."""
        if self._loading:
            self._next_limit = limit
            return
        try:
            future = self._history.recent_async(limit)
        except Exception as exc:  # the worker is already closed (shutting down)
            self.load_failed.emit(exc)
            return
        self._loading = True
        future.add_done_callback(self._deliver)

    def _deliver(self, future: Future[list[HistoryEntry]]) -> None:
        """Database worker thread: pass the result on to the GUI thread.

        Runs on the GUI thread instead if the read finished before ``refresh`` got here.
        """
        exc = future.exception()
        with contextlib.suppress(RuntimeError):  # the view was deleted meanwhile
            self._loaded.emit(exc if exc is not None else future.result())

    @Slot(object)
    def _on_loaded(self, result: list[HistoryEntry] | BaseException) -> None:
        self._loading = False
        limit, self._next_limit = self._next_limit, None
        if limit is not None:  # this answer is already stale: show the newer one only
            self.refresh(limit)
        elif isinstance(result, BaseException):
            self.load_failed.emit(result)
        else:
            self.set_entries(result)

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
