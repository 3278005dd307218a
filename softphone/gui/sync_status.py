"""The CRM connection in the status bar: online, offline or syncing, and what waits to be sent.

``SyncBridge`` carries ``SyncState`` snapshots from the sync thread to the GUI thread
through a queued Qt signal; ``SyncIndicator`` shows them. Everything else here runs on
the GUI thread.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from softphone.gui.text import one_line, plain_tooltip
from softphone.sync.service import SyncService, SyncState

LEVELS = {"online": "ok", "syncing": "busy", "offline": "warning", "error": "error",
          "disabled": "idle"}


def tr(text: str) -> str:
    return QCoreApplication.translate("SyncStatus", text)


class SyncBridge(QObject):
    """Re-emits the sync service's state changes on the GUI thread."""

    state_changed = Signal(object)  # SyncState

    def __init__(self, service: SyncService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        # The listener runs on the sync thread; emitting from there queues the signal
        # to this object's (the GUI) thread.
        service.add_listener(self.state_changed.emit)

    def close(self) -> None:
        """No more notes from the sync thread (shutting down)."""
        self.service.remove_listener(self.state_changed.emit)


def describe_sync(state: SyncState) -> str:
    """A short line for the status bar, e.g. "CRM offline · 2 to send"."""
    headline = {
        "online": tr("CRM online"),
        "syncing": tr("CRM: updating…"),
        "offline": tr("CRM offline"),
        "error": tr("CRM problem"),
        "disabled": tr("No CRM"),
    }.get(state.connection, state.connection)
    parts = [headline]
    if state.outbox_waiting:
        parts.append(tr("{n} to send").format(n=state.outbox_waiting))
    if state.outbox_needs_attention:
        parts.append(tr("{n} need attention").format(n=state.outbox_needs_attention))
    if state.cache_disposable:
        parts.append(tr("not kept"))
    return " · ".join(parts)


def explain_sync(state: SyncState, now: datetime | None = None) -> str:
    """The details, one per line, for the tooltip."""
    lines = []
    if state.message:
        lines.append(one_line(state.message)[:200])  # server text is untrusted: bounded
    if state.last_success is not None:
        lines.append(tr("Last update: {when}").format(when=_when(state.last_success, now)))
    lines.append(tr("Customers on this computer: {n}").format(n=state.customers_cached))
    if state.outbox_waiting:
        lines.append(tr("Records waiting to be sent: {n}").format(n=state.outbox_waiting))
    if state.outbox_needs_attention:
        lines.append(tr("Records the CRM refused: {n}").format(n=state.outbox_needs_attention))
    if state.cache_disposable:
        lines.append(tr("No keyring: customer data is kept only while the app runs."))
    return "\n".join(lines)


def _when(moment: datetime, now: datetime | None) -> str:
    now = now or datetime.now(moment.tzinfo)
    local = moment.astimezone()
    if (now - moment).total_seconds() < 86_400:
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


class SyncIndicator(QLabel):
    """Status-bar label; ``level`` (ok/busy/warning/error/idle) is styled by the stylesheet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName(tr("CRM connection"))

    def show_state(self, state: SyncState) -> None:
        self.setText(describe_sync(state))
        self.setProperty("level", LEVELS.get(state.connection, "idle"))
        self.setToolTip(plain_tooltip(explain_sync(state)))
        # Re-polish so the stylesheet sees the new property.
        self.style().unpolish(self)
        self.style().polish(self)
