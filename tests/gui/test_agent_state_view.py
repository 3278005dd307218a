"""The agent state selector: words and dot from the core, picks back to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone import protocol as P
from softphone.agent import Agent, AgentStatus
from softphone.gui.agent_state_view import AgentBridge, AgentStateView
from softphone.phone import CallEnded
from softphone.storage.history import HistoryEntry
from tests.gui.harness import FakeClock

CALLER = P.RemoteParty("Αλέξανδρος Παπαδόπουλος", "+302105550199", "sip:+302105550199@pbx")
ENTRY = HistoryEntry("c1", "incoming", CALLER.display_name, CALLER.number, CALLER.uri,
                     1.0, 2.0, 100.0, 98.0, "answered")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def agent(fake_clock: FakeClock) -> Agent:
    settings: dict[str, Any] = {"wrapup.seconds": 45, "agent.busy_action": "decline"}
    return Agent(settings, clock=fake_clock)


@pytest.fixture
def view(qtbot: QtBot, agent: Agent) -> Iterator[AgentStateView]:
    bridge = AgentBridge(agent)
    widget = AgentStateView(bridge)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    yield widget
    bridge.close()


def test_follows_the_call_through_wrapup(qtbot: QtBot, view: AgentStateView, agent: Agent,
                                         fake_clock: FakeClock) -> None:
    assert view.label.text() == "Available"
    assert view.dot.property("level") == "ok"
    agent.handle_event(P.CallStateChanged("c1", "confirmed", "incoming", CALLER, 200))
    qtbot.waitUntil(lambda: view.label.text() == "On call")
    assert view.dot.property("level") == "busy"
    agent.handle_event(CallEnded(ENTRY))
    qtbot.waitUntil(lambda: view.label.text().startswith("Wrap-up"))
    assert view.label.text() == "Wrap-up · 00:45 left"
    fake_clock.advance(30)
    view.bridge.tick()  # the once-a-second clock redraws the countdown
    assert view.label.text() == "Wrap-up · 00:15 left"
    fake_clock.advance(15)
    view.bridge.tick()
    qtbot.waitUntil(lambda: view.label.text() == "Available")


def test_pick_break_with_the_keyboard(qtbot: QtBot, view: AgentStateView, agent: Agent) -> None:
    qtbot.keyClick(view, Qt.Key.Key_B,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert agent.status == AgentStatus.BREAK
    qtbot.waitUntil(lambda: view.label.text() == "Break")
    assert view.choice.currentText() == "Break"
    view.choice.setFocus()
    qtbot.keyClick(view.choice, Qt.Key.Key_Up)
    assert agent.status == AgentStatus.AVAILABLE


def test_pick_during_a_call_is_shown_as_what_comes_after(qtbot: QtBot, view: AgentStateView,
                                                         agent: Agent) -> None:
    agent.handle_event(P.CallStateChanged("c1", "confirmed", "incoming", CALLER, 200))
    view.toggle_break()
    qtbot.waitUntil(lambda: view.choice.currentText() == "Break")
    assert view.label.text() == "On call"
    assert view.choice.toolTip().startswith("After this call: Break")
