"""The list of current calls: who, which way, what state, how long, on hold or not.

Rows are rebuilt from ``Phone.snapshot()`` (never from half-applied events). All remote
text is plain and elided (see ``text``). Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from softphone import protocol
from softphone.gui.actions import is_talking
from softphone.gui.text import ElidedLabel
from softphone.phone import Call, PhoneState

CALL_ID_ROLE = Qt.ItemDataRole.UserRole


def tr(text: str) -> str:
    return QCoreApplication.translate("Calls", text)


def format_duration(seconds: float) -> str:
    """``65`` -> ``01:05``; an hour or more -> ``1:01:05``."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def call_title(call: Call) -> str:
    """The name line: the display name, else the number, else the address."""
    remote = call.remote
    return remote.display_name or remote.number or remote.uri or tr("Unknown caller")


def call_subtitle(call: Call) -> str:
    """The number line (empty when the title already is the number)."""
    remote = call.remote
    if remote.display_name:
        return remote.number or remote.uri
    return remote.uri if remote.number and remote.uri and remote.uri != remote.number else ""


def direction_text(direction: str) -> str:
    return tr("Incoming") if direction == "incoming" else tr("Outgoing")


def state_text(call: Call) -> str:
    if call.state == "confirmed":
        if call.local_hold:
            return tr("On hold")
        return tr("Held by the other side") if call.remote_hold else tr("Connected")
    incoming = call.direction == "incoming"
    texts = {
        "incoming": tr("Ringing"),
        "early": tr("Ringing") if incoming else tr("Ringing at the other end…"),
        "calling": tr("Calling…"),
        "connecting": tr("Connecting…"),
        "disconnected": tr("Ended"),
    }
    return texts.get(call.state, call.state)


def call_seconds(call: Call, now: float) -> float:
    """Talk time once answered; waiting time before that."""
    return now - (call.answered_at if call.answered_at is not None else call.started_at)


def stats_text(stats: protocol.StreamStats | None) -> str:
    """Audio quality in a few words, for "I can't hear the customer"."""
    if stats is None or not stats.codec:
        return ""
    received = stats.rx_packets + stats.rx_lost
    loss = 100.0 * stats.rx_lost / received if received else 0.0
    return tr("{codec} · loss {loss:.1f}% · jitter {jitter:.0f} ms").format(
        codec=stats.codec, loss=loss, jitter=stats.jitter_ms
    )


class CallRow(QFrame):
    """One call in the list."""

    def __init__(self, call: Call, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callRow")
        self.call_id = call.id
        self.name = ElidedLabel("", self)
        self.name.setObjectName("callName")
        self.number = ElidedLabel("", self)
        self.number.setObjectName("callNumber")
        self.state = QLabel("", self)
        self.state.setObjectName("callState")
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.timer = QLabel("", self)
        self.timer.setObjectName("callTimer")
        self.timer.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.hold_badge = QLabel(tr("On hold"), self)
        self.hold_badge.setObjectName("holdBadge")
        self.stats = ElidedLabel("", self)
        self.stats.setObjectName("callStats")
        self._build_layout()
        self.update_call(call, call.started_at)

    def _build_layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.timer, 0, 1)
        grid.addWidget(self.number, 1, 0)
        grid.addWidget(self.hold_badge, 1, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.state, 2, 0, 1, 2)
        grid.addWidget(self.stats, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def update_call(self, call: Call, now: float) -> None:
        """Show ``call`` as of ``now`` (seconds since the epoch)."""
        self._set(self.name, call_title(call))
        self._set(self.number, call_subtitle(call))
        self.number.setVisible(bool(self.number.text()))
        self._set(self.state, f"{direction_text(call.direction)} · {state_text(call)}")
        self.hold_badge.setVisible(call.local_hold)
        self._set(self.stats, stats_text(call.stats))
        self.stats.setVisible(bool(self.stats.text()))
        self.update_timer(call, now)
        self.setProperty("ringing", call.direction == "incoming" and call.state == "incoming")
        self.style().unpolish(self)
        self.style().polish(self)

    def update_timer(self, call: Call, now: float) -> None:
        self.timer.setText(format_duration(call_seconds(call, now)))

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)


class CallList(QListWidget):
    """The current calls; the selected row is the call the buttons act on.

    When a call starts talking (answered, resumed) it becomes the selected one, so
    "Hang up" always means the call the agent is talking on unless they pick another.
    """

    selected_call_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callList")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName(tr("Current calls"))
        self.setSpacing(2)
        self.setMinimumHeight(130)
        self._rows: dict[str, tuple[QListWidgetItem, CallRow]] = {}
        self._calls: dict[str, Call] = {}
        self._talking: set[str] = set()
        self.currentItemChanged.connect(lambda *_: self.selected_call_changed.emit())

    def selected_call_id(self) -> str | None:
        item = self.currentItem()
        call_id = item.data(CALL_ID_ROLE) if item is not None else None
        return call_id if isinstance(call_id, str) and call_id in self._rows else None

    def row_for(self, call_id: str) -> CallRow | None:
        entry = self._rows.get(call_id)
        return entry[1] if entry else None

    def sync(self, state: PhoneState, now: float) -> None:
        """Make the rows match ``state.calls`` (added, updated, removed)."""
        self._calls = dict(state.calls)
        for call_id in [cid for cid in self._rows if cid not in state.calls]:
            item, _row = self._rows.pop(call_id)
            self.takeItem(self.row(item))
        for call in state.calls.values():
            self._add_or_update(call, now)
        self._follow_talking(state)

    def tick(self, now: float) -> None:
        """Advance every timer (called each second)."""
        for call_id, (_item, row) in self._rows.items():
            call = self._calls.get(call_id)
            if call is not None:
                row.update_timer(call, now)

    def _add_or_update(self, call: Call, now: float) -> None:
        is_new = call.id not in self._rows
        if not is_new:
            item, row = self._rows[call.id]
            row.update_call(call, now)
        else:
            item = QListWidgetItem(self)
            item.setData(CALL_ID_ROLE, call.id)
            row = CallRow(call, self)
            row.update_call(call, now)
            self.setItemWidget(item, row)
            self._rows[call.id] = (item, row)
        item.setSizeHint(row.sizeHint())
        if is_new:
            self.scrollToItem(item)
        item.setData(Qt.ItemDataRole.AccessibleTextRole,
                     f"{call_title(call)} {call_subtitle(call)} {row.state.text()}")

    def _follow_talking(self, state: PhoneState) -> None:
        talking = {call.id for call in state.calls.values() if is_talking(call)}
        newly = talking - self._talking
        self._talking = talking
        target = next(iter(newly), None)
        if target is None and self.selected_call_id() is None and self._rows:
            target = next(iter(talking), None) or next(iter(self._rows))
        if target is not None and target != self.selected_call_id():
            self.setCurrentItem(self._rows[target][0])
