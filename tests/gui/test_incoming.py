"""The incoming-call windows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui.actions import CallActions
from softphone.gui.bridge import PhoneBridge
from softphone.gui.incoming import WINDOW_WIDTH, IncomingCallManager
from softphone.gui.text import plain_tooltip
from tests.gui.harness import PhoneHarness

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def manager(bridge: PhoneBridge, harness: PhoneHarness) -> Iterator[IncomingCallManager]:
    incoming = IncomingCallManager(bridge, CallActions(harness.phone))
    yield incoming
    for call_id in list(incoming.windows):
        incoming.close_call(call_id)


def ring(qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager, call_id: str,
         name: str, number: str) -> None:
    harness.ring(call_id, name, number)
    qtbot.waitUntil(lambda: call_id in manager.windows)


def test_incoming_call_opens_a_window_with_name_and_number(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Nguyễn Thị Mai", "+84 28 3822 1234")
    window = manager.windows["c1"]
    assert window.isVisible()
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.name_label.text() == "Nguyễn Thị Mai"
    assert window.number_label.text() == "+84 28 3822 1234"


def test_markup_display_name_appears_literally(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    raw = "<b>Boss</b><img src=x>"
    ring(qtbot, harness, manager, "c1", raw, "1001")
    label = manager.windows["c1"].name_label
    assert label.text() == raw
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.toolTip() == plain_tooltip(raw)
    assert "&lt;b&gt;Boss" in label.toolTip()


def test_long_and_rtl_names_are_elided_in_a_fixed_width_window(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    long_name = "Very Long Display Name " * 30
    ring(qtbot, harness, manager, "c1", long_name, "+1 555 0100")
    ring(qtbot, harness, manager, "c2", "محمد رضا حسینی", "+98 21 8888 7777")
    first, second = manager.windows["c1"], manager.windows["c2"]
    assert first.width() == WINDOW_WIDTH == second.width()
    assert first.name_label.text() == long_name
    assert first.name_label.is_elided()
    assert second.name_label.direction() == Qt.LayoutDirection.RightToLeft
    assert first.y() != second.y()  # stacked, not on top of each other


def test_answer_button_sends_answer_and_the_window_closes_when_answered(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Ana Pop", "+40213102040")
    qtbot.mouseClick(manager.windows["c1"].answer_button, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Answer) == [protocol.Answer("c1")]
    qtbot.waitUntil(lambda: "c1" not in manager.windows)


def test_shortcuts_answer_and_decline_their_own_call(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Ana Pop", "+40213102040")
    ring(qtbot, harness, manager, "c2", "Kovács Ágnes", "+3612345678")
    second = manager.windows["c2"]
    second.activateWindow()
    qtbot.waitActive(second)
    qtbot.keyClick(second, Qt.Key.Key_A, CTRL_SHIFT)
    assert harness.commands(protocol.Answer) == [protocol.Answer("c2")]
    first = manager.windows["c1"]
    first.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is first)
    qtbot.keyClick(first, Qt.Key.Key_D, CTRL_SHIFT)
    assert harness.commands(protocol.Decline) == [protocol.Decline("c1", 486)]


def test_return_does_not_answer(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Ana Pop", "+40213102040")
    window = manager.windows["c1"]
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert harness.commands(protocol.Answer) == []


def test_second_call_while_on_a_call_gets_its_own_window(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Ana Pop", "+40213102040")
    harness.connect("c1")
    qtbot.waitUntil(lambda: "c1" not in manager.windows)
    ring(qtbot, harness, manager, "c2", "Kovács Ágnes", "+3612345678")
    ring(qtbot, harness, manager, "c3", "Παπαδόπουλος", "+302105550199")
    assert set(manager.windows) == {"c2", "c3"}
    qtbot.mouseClick(manager.windows["c2"].answer_button, Qt.MouseButton.LeftButton)
    assert harness.sent[-2:] == [protocol.Hold("c1"), protocol.Answer("c2")]


def test_windows_close_when_the_caller_gives_up_or_the_engine_crashes(
    qtbot: QtBot, harness: PhoneHarness, manager: IncomingCallManager
) -> None:
    ring(qtbot, harness, manager, "c1", "Ana Pop", "+40213102040")
    ring(qtbot, harness, manager, "c2", "Kovács Ágnes", "+3612345678")
    harness.hang_up("c1")
    qtbot.waitUntil(lambda: "c1" not in manager.windows)
    harness.crash()
    qtbot.waitUntil(lambda: not manager.windows)
