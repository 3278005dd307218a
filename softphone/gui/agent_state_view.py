"""The agent's state in the tool bar or status bar: a dot, the state in words, and a picker.

The picker offers what the agent may choose (Available, Break; Ctrl+Shift+B switches
between them). The words say what the state is now, including On call and Wrap-up with
the time left, so the state is never told by colour alone.

``AgentBridge`` carries the agent's changes (its listeners may run on any thread) to the
GUI thread and ticks the agent's wrap-up clock once a second; its ``second`` signal is
the one clock every wrap-up countdown redraws on. Everything else here runs on the GUI
thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from softphone.agent import MANUAL_STATES, Agent, AgentState, AgentStatus
from softphone.gui.calls_view import format_duration
from softphone.gui.keyed import keys

BREAK_KEY = "Ctrl+Shift+B"
LEVELS = {AgentStatus.AVAILABLE: "ok", AgentStatus.ON_CALL: "busy",
          AgentStatus.WRAP_UP: "warning", AgentStatus.BREAK: "idle"}


def tr(text: str) -> str:
    return QCoreApplication.translate("AgentState", text)


def status_name(status: AgentStatus) -> str:
    return {AgentStatus.AVAILABLE: tr("Available"), AgentStatus.ON_CALL: tr("On call"),
            AgentStatus.WRAP_UP: tr("Wrap-up"), AgentStatus.BREAK: tr("Break")}[status]


def describe_state(state: AgentState, now: float) -> str:
    """"Available", "On call", "Wrap-up · 00:42 left", "Break"."""
    text = status_name(state.status)
    if state.status == AgentStatus.WRAP_UP:
        remaining = state.remaining(now)
        if remaining is not None:
            text += " · " + tr("{time} left").format(time=format_duration(remaining + 0.999))
    return text


class AgentBridge(QObject):
    """The agent's changes as a signal on the GUI thread, and its once-a-second tick."""

    changed = Signal(object)  # AgentState
    second = Signal()  # once a second, after the agent's clock has been checked

    def __init__(self, agent: Agent, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.agent = agent
        # A listener called on another thread emits there: Qt queues it to this thread.
        agent.add_listener(self.changed.emit)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        """Let the agent end a wrap-up whose time is up, then let countdowns redraw."""
        self.agent.tick()
        self.second.emit()

    def close(self) -> None:
        self.timer.stop()
        self.agent.remove_listener(self.changed.emit)


class AgentStateView(QWidget):
    """Dot, words and picker for the agent's state. GUI thread."""

    def __init__(self, bridge: AgentBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentState")
        self.bridge = bridge
        self.agent = bridge.agent
        self.dot = QLabel("●", self)
        self.dot.setObjectName("agentDot")
        self.dot.setAccessibleName(tr("Agent state"))
        self.label = QLabel("", self)
        self.label.setObjectName("agentStateText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.choice = QComboBox(self)
        self.choice.setObjectName("agentChoice")
        self.choice.setAccessibleName(tr("Your availability"))
        for status in MANUAL_STATES:
            self.choice.addItem(status_name(status), status.value)
        self.choice.setToolTip(tr("Available takes calls; Break does not. Switch with {keys}")
                               .format(keys=keys(BREAK_KEY)))
        self.choice.currentIndexChanged.connect(self._picked)
        self.key_hint = QLabel(keys(BREAK_KEY), self)
        self.key_hint.setObjectName("keyHint")
        self.key_hint.setToolTip(tr("Switch between Available and Break"))
        self.shortcut = QShortcut(QKeySequence(BREAK_KEY), self)
        self.shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.shortcut.activated.connect(self.toggle_break)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        layout.addWidget(self.choice)
        layout.addWidget(self.key_hint)
        bridge.changed.connect(lambda _state: self.refresh())
        bridge.second.connect(self._count_down)
        self.refresh()

    def refresh(self) -> None:
        """Redraw from the agent's current state (and its clock)."""
        state = self.agent.state()
        text = describe_state(state, self.agent.now())
        self.label.setText(text)
        self.dot.setToolTip(text)
        self.dot.setProperty("level", LEVELS[state.status])
        self.dot.style().unpolish(self.dot)
        self.dot.style().polish(self.dot)
        index = self.choice.findData(state.chosen.value)
        if index >= 0 and index != self.choice.currentIndex():
            self.choice.blockSignals(True)  # showing the core's pick is not a new pick
            self.choice.setCurrentIndex(index)
            self.choice.blockSignals(False)
        after = state.status in (AgentStatus.ON_CALL, AgentStatus.WRAP_UP)
        self.choice.setToolTip(
            (tr("After this call: {state}").format(state=status_name(state.chosen)) + "\n"
             if after else "")
            + tr("Available takes calls; Break does not. Switch with {keys}")
            .format(keys=keys(BREAK_KEY)))
        self.setAccessibleDescription(text)

    def _count_down(self) -> None:
        """Only a wrap-up with a time limit shows a clock that moves."""
        state = self.agent.state()
        if state.status == AgentStatus.WRAP_UP and state.wrapup_deadline is not None:
            self.refresh()

    def toggle_break(self) -> None:
        """Break if the agent picked Available, Available if they picked Break."""
        chosen = self.agent.state().chosen
        self.agent.choose(AgentStatus.AVAILABLE if chosen == AgentStatus.BREAK
                          else AgentStatus.BREAK)

    def _picked(self, index: int) -> None:
        value = self.choice.itemData(index)  # Qt keeps the enum as its text
        if isinstance(value, str) and value in {s.value for s in MANUAL_STATES}:
            self.agent.choose(AgentStatus(value))
