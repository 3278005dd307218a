"""After a call: the outcome, notes and an optional call-back time, against a visible clock.

The agent picks a disposition (from ``wrapup.dispositions``; keys 1-9 pick by number in
the list), types notes, optionally ticks "Call back" and sets when, then presses Done
(Ctrl+Enter). Done emits ``done(CallLogCreate)``, built by ``softphone.agent.call_log``
from the call's history entry; the form then empties itself.

The timer counts down to the wrap-up deadline the agent state gives (``wrapup.seconds``
> 0) and says when the time is up; with no deadline it counts the wrap-up time up. It
reads an injectable clock (the agent's, monotonic) whenever ``tick`` is called: once a
second, by the agent bridge's ``second``. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication, QDateTime, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.agent import WrapUp, call_log
from softphone.gui.calls_view import format_duration
from softphone.gui.formatting import line
from softphone.gui.keyed import fit_rows, keyed_button
from softphone.gui.text import ElidedLabel
from softphone.storage.history import HistoryEntry

DONE_KEY = "Ctrl+Return"
DISPOSITION_ROLE = Qt.ItemDataRole.UserRole


def tr(text: str) -> str:
    return QCoreApplication.translate("WrapUp", text)


def parse_dispositions(setting: str) -> list[str]:
    """``wrapup.dispositions`` (comma-separated) as a clean list, duplicates removed."""
    seen: list[str] = []
    for part in setting.split(","):
        text = line(part.strip(), 200)
        if text and text not in seen:
            seen.append(text)
    return seen


def timer_text(remaining: float | None, elapsed: float) -> tuple[str, str]:
    """(text, level) for the timer: counting down, time up, or counting up."""
    if remaining is None:
        return tr("Wrap-up {time}").format(time=format_duration(elapsed)), "open"
    if remaining <= 0:
        return tr("Time is up: you are available again"), "over"
    level = "short" if remaining <= 10 else "running"
    return tr("{time} left").format(time=format_duration(remaining + 0.999)), level


class WrapUpForm(QWidget):
    """The wrap-up of one call (see the module docstring). GUI thread."""

    done = Signal(object)  # CallLogCreate

    def __init__(self, dispositions: Sequence[str], *,
                 clock: Callable[[], float] = time.monotonic,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wrapUpForm")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.clock = clock
        self.entry: HistoryEntry | None = None
        self.customer_id: str | None = None
        self.agent = ""
        self.deadline: float | None = None
        self.started = clock()
        self._build(dispositions)

    def _build(self, dispositions: Sequence[str]) -> None:
        title = QLabel(tr("Wrap-up"), self)
        title.setObjectName("formTitle")
        self.timer_label = QLabel("", self)
        self.timer_label.setObjectName("wrapTimer")
        self.timer_label.setTextFormat(Qt.TextFormat.PlainText)
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.timer_label.setAccessibleName(tr("Wrap-up time"))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.timer_label)
        self.call_label = ElidedLabel("", self)
        self.call_label.setObjectName("wrapCall")

        outcome = QLabel(tr("&Outcome (1-9 or arrows)"), self)
        self.dispositions = QListWidget(self)
        self.dispositions.setObjectName("dispositionList")
        self.dispositions.setAccessibleName(tr("Outcome"))
        self.dispositions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dispositions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.dispositions.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.dispositions.installEventFilter(self)
        self.dispositions.itemSelectionChanged.connect(lambda: self._show_error(""))
        outcome.setBuddy(self.dispositions)
        self.set_dispositions(dispositions)
        self.error = QLabel("", self)
        self.error.setObjectName("inlineError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()

        notes_label = QLabel(tr("&Notes"), self)
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("wrapNotes")
        self.notes.setAccessibleName(tr("Notes"))
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().height() * 4 + 14)
        self.notes.installEventFilter(self)
        notes_label.setBuddy(self.notes)

        self.callback = QCheckBox(tr("&Call back at"), self)
        self.callback.setObjectName("wrapCallback")
        self.callback_at = QDateTimeEdit(self)
        self.callback_at.setObjectName("wrapCallbackAt")
        self.callback_at.setAccessibleName(tr("Call back at"))
        self.callback_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.callback_at.setCalendarPopup(True)
        self.callback_at.setEnabled(False)
        self.callback.toggled.connect(self.callback_at.setEnabled)
        callback_row = QHBoxLayout()
        callback_row.addWidget(self.callback)
        callback_row.addWidget(self.callback_at, 1)

        self.done_button = keyed_button(tr("Done"), DONE_KEY,
                                        tr("Record the call and finish the wrap-up"), self,
                                        "wrapDone")
        self.done_button.clicked.connect(self.finish)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)

        grid = QGridLayout()
        grid.setVerticalSpacing(4)
        grid.addWidget(outcome, 0, 0)
        grid.addWidget(self.dispositions, 1, 0)
        grid.addWidget(self.error, 2, 0)
        grid.addWidget(notes_label, 3, 0)
        grid.addWidget(self.notes, 4, 0)
        grid.addLayout(callback_row, 5, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.call_label)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # ---------------------------------------------------------------- API

    def set_dispositions(self, dispositions: Sequence[str]) -> None:
        self.dispositions.clear()
        for index, text in enumerate(dispositions):
            label = f"{index + 1}  {text}" if index < 9 else f"    {text}"
            item = QListWidgetItem(label, self.dispositions)
            item.setData(DISPOSITION_ROLE, text)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
        fit_rows(self.dispositions, 9)

    def showEvent(self, event: QShowEvent) -> None:
        """Rows are measured once the stylesheet applies (their padding counts)."""
        super().showEvent(event)
        fit_rows(self.dispositions, 9)

    def start(self, entry: HistoryEntry, deadline: float | None, *,
              customer_id: str | None = None, customer_name: str = "", agent: str = "") -> None:
        """Wrap up the call ``entry``; ``deadline`` is on ``clock`` (None: no time limit)."""
        self.entry, self.deadline = entry, deadline
        self.customer_id, self.agent = customer_id, agent
        self.started = self.clock()
        who = customer_name or entry.display_name or entry.number or tr("Unknown caller")
        duration = format_duration(entry.duration_seconds)
        self.call_label.setText(" · ".join(part for part in (line(who), line(entry.number),
                                                            duration) if part))
        self.dispositions.setCurrentRow(-1)
        self.dispositions.clearSelection()
        self.notes.setPlainText("")
        self.callback.setChecked(False)
        local = QDateTime.currentDateTime().addSecs(3600)
        self.callback_at.setDateTime(local)
        self._show_error("")
        self.tick()
        self.dispositions.setFocus()

    def tick(self) -> None:
        """Redraw the timer from the clock (called once a second by the agent's clock)."""
        if self.entry is None:
            return
        now = self.clock()
        remaining = None if self.deadline is None else self.deadline - now
        text, level = timer_text(remaining, now - self.started)
        self.timer_label.setText(text)
        self.timer_label.setProperty("level", level)
        self.timer_label.style().unpolish(self.timer_label)
        self.timer_label.style().polish(self.timer_label)

    def disposition(self) -> str:
        item = self.dispositions.currentItem()
        if item is None or not item.isSelected():
            return ""
        value = item.data(DISPOSITION_ROLE)
        return value if isinstance(value, str) else ""

    def finish(self) -> None:
        """Done: check the outcome, then emit the call log and empty the form."""
        if self.entry is None:
            return
        disposition = self.disposition()
        if not disposition:
            self._show_error(tr("Pick the call's outcome."))
            self.dispositions.setFocus()
            return
        callback = self.callback_time()
        try:
            log = call_log(self.entry, WrapUp(disposition, self.notes.toPlainText().strip(),
                                              callback),
                           customer_id=self.customer_id, agent=self.agent)
        except ValidationError:
            self._show_error(tr("The notes are too long (at most 4000 characters)."))
            return
        self.entry = None
        self.done.emit(log)

    def callback_time(self) -> datetime | None:
        """The call-back time picked (local, aware), or None when not ticked."""
        if not self.callback.isChecked():
            return None
        seconds = self.callback_at.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds).astimezone()

    def set_callback(self, when: datetime) -> None:
        """Tick "Call back" and set ``when`` (a naive time is local)."""
        self.callback.setChecked(True)
        self.callback_at.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))

    # ---------------------------------------------------------------- keys

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.dispositions.setAccessibleDescription(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Digits pick an outcome in the list; Ctrl+Enter finishes from the notes too."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
            return True
        arrows = (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_Home, Qt.Key.Key_End,
                  Qt.Key.Key_Space)
        if (watched is self.dispositions and event.key() in arrows
                and not self.dispositions.selectedItems() and self.dispositions.count()):
            # Nothing picked yet: the first move picks the first outcome, not the second.
            last = event.key() == Qt.Key.Key_End
            self.dispositions.setCurrentRow(self.dispositions.count() - 1 if last else 0)
            return True
        text = event.text()
        if watched is self.dispositions and not ctrl and len(text) == 1 and text in "123456789":
            row = int(text) - 1
            if row < self.dispositions.count():
                self.dispositions.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)
