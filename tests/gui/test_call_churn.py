"""Many calls in a row leave nothing behind: call rows, incoming windows, history rows."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui import main_window
from softphone.gui.actions import CallActions
from softphone.gui.bridge import PhoneBridge
from softphone.gui.incoming import IncomingCallManager
from softphone.gui.main_window import MainWindow
from tests.gui.harness import PhoneHarness


def one_call(qtbot: QtBot, harness: PhoneHarness, window: MainWindow,
             manager: IncomingCallManager, number: int) -> None:
    """Ring, answer, talk (levels and stats), hang up: what the engine would say."""
    call_id = f"c{number}"
    harness.ring(call_id, f"Caller {number}", f"+1555{number:07d}")
    qtbot.waitUntil(lambda: call_id in manager.windows and window.call_list.count() == 1)
    harness.connect(call_id)
    harness.emit(protocol.AudioLevels(0.4, 0.6), protocol.StreamStats(call_id, "opus", 500, 2),
                 protocol.AudioLevels(0.3, 0.5))
    qtbot.waitUntil(lambda: call_id not in manager.windows)
    window.tick()
    harness.hang_up(call_id)
    qtbot.waitUntil(lambda: window.call_list.count() == 0)


def live_widgets() -> Counter[str]:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return Counter(type(widget).__name__ for widget in QApplication.allWidgets())


def test_thirty_calls_leave_no_widgets_behind(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, window: MainWindow,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main_window, "HISTORY_LIMIT", 10)
    manager = IncomingCallManager(bridge, CallActions(harness.phone))
    one_call(qtbot, harness, window, manager, 0)  # first-use caches (styles, icons)
    before = live_widgets()
    children = len(window.findChildren(QObject))

    for number in range(1, 31):
        one_call(qtbot, harness, window, manager, number)

    qtbot.waitUntil(lambda: window.history.topLevelItemCount() == 10)
    assert live_widgets() == before
    assert before["CallRow"] == before["IncomingCallWindow"] == 0
    assert len(window.findChildren(QObject)) == children
    assert manager.windows == {}
    assert harness.phone.snapshot().calls == {}
    assert [entry.call_id for entry in window.history.entries()] == [
        f"c{number}" for number in range(30, 20, -1)]
