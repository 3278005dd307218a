"""The Orders tab: every order, call log and new customer recorded here, and whether it
has reached the CRM (waiting, sent with the CRM's order number, or needs attention with
the CRM's reason).

``refresh`` reads the outbox on the cache's worker; the rows are built on the GUI thread
when the answer arrives (a signal carries it). Everything else runs on the GUI thread.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from softphone.cache.store import OutboxItem
from softphone.gui.text import one_line, plain_tooltip
from softphone.storage.database import DatabaseClosed
from softphone.sync.service import SyncService, SyncState

log = logging.getLogger(__name__)

#: Newest records shown; older ones stay in the cache.
ROW_LIMIT = 300
COLUMNS = ("time", "what", "customer", "status")


def tr(text: str) -> str:
    return QCoreApplication.translate("OutboxView", text)


def describe_record(item: OutboxItem) -> str:
    """What was recorded, in a few words, from the record's own fields."""
    body: dict[str, Any] = item.body
    if item.kind == "order":
        lines = body.get("lines") or []
        return tr("Order, {n} line(s)").format(n=len(lines))
    if item.kind == "call_log":
        return tr("Call log: {outcome}").format(outcome=str(body.get("disposition", "")))
    if item.kind == "lead":
        return tr("New customer: {name}").format(name=str(body.get("name", "")))
    return item.kind


def describe_status(item: OutboxItem) -> tuple[str, str]:
    """The status in words and its level (ok, busy, error)."""
    if item.status == "sent":
        if item.server_number:
            return tr("Sent") + f" · {item.server_number}", "ok"
        if item.kind == "order" and item.message:
            # Accepted, but its answer could not be read: the order number is in the CRM.
            return tr("Sent · the CRM gave no order number"), "ok"
        return tr("Sent"), "ok"
    if item.status == "needs_attention":
        return "⚠ " + tr("Needs attention: {reason}").format(reason=item.message[:300]), "error"
    if item.attempts:
        return tr("Waiting to be sent (tried {n} times)").format(n=item.attempts), "busy"
    return tr("Waiting to be sent"), "busy"


class OutboxView(QTreeWidget):
    """Records for the CRM, newest first. GUI thread."""

    _loaded = Signal(object)  # list[OutboxItem], emitted on the cache's worker thread

    def __init__(self, sync: SyncService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxView")
        self.sync = sync
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setHeaderLabels([tr("Time"), tr("What"), tr("Customer"), tr("Status")])
        self.setAccessibleName(tr("Orders and records sent to the CRM"))
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._loading = False
        self._again = False
        self._counts: tuple[int, int] | None = None
        self._loaded.connect(self._fill)

    def sync_changed(self, state: SyncState) -> None:
        """Read the outbox again when its counts moved (not on every sync progress note)."""
        counts = (state.outbox_waiting, state.outbox_needs_attention)
        if counts != self._counts:
            self._counts = counts
            self.refresh()

    def refresh(self) -> None:
        """Read the outbox again (a refresh asked for during a read runs after it)."""
        if self._loading:
            self._again = True
            return
        try:
            future = self.sync.outbox()
        except DatabaseClosed:  # a sync note queued before the app shut down
            return
        self._loading = True
        future.add_done_callback(self._arrived)

    def _arrived(self, future: Future[list[OutboxItem]]) -> None:
        """The cache's worker thread: hand the rows to the GUI thread."""
        try:
            items = future.result()
        except Exception:
            log.exception("Could not read the outbox")
            items = None
        self._loaded.emit(items)

    def _fill(self, items: list[OutboxItem] | None) -> None:
        self._loading = False
        if items is not None:
            self.clear()
            newest = sorted(items, key=lambda item: item.id, reverse=True)[:ROW_LIMIT]
            self.addTopLevelItems([self._row(item) for item in newest])
        if self._again:
            self._again = False
            self.refresh()

    def _row(self, item: OutboxItem) -> QTreeWidgetItem:
        status, level = describe_status(item)
        when = datetime.fromtimestamp(item.created_at).strftime("%Y-%m-%d %H:%M")
        texts = [when, describe_record(item), item.customer_id, status]
        row = QTreeWidgetItem([one_line(text) for text in texts])
        row.setToolTip(3, plain_tooltip(status))
        row.setData(3, Qt.ItemDataRole.UserRole, level)
        if level == "error":
            font = row.font(3)
            font.setBold(True)
            row.setFont(3, font)
        return row
