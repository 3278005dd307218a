"""The status-bar notice says when the microphone is silent or too loud in a call."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui import status
from softphone.gui.bridge import PhoneBridge
from softphone.gui.status import AudioDeviceNotice, add_audio_notice
from tests.gui.harness import PhoneHarness

SILENT = protocol.MicrophoneCheck(
    "c1", "silent", "Your microphone is silent: the caller may not hear you. Check that it "
                    "is plugged in and not muted.")
BACK = protocol.MicrophoneCheck("c1", "ok", "Your microphone works again.")


def notice_in_window(qtbot: QtBot, bridge: PhoneBridge
                     ) -> tuple[QMainWindow, AudioDeviceNotice]:
    window = QMainWindow()
    qtbot.addWidget(window)
    notice = add_audio_notice(bridge, window.statusBar())
    window.show()
    return window, notice


def test_a_silent_microphone_is_said_until_it_works_again(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "NOTICE_SECONDS", 0.2)
    _window, notice = notice_in_window(qtbot, bridge)
    harness.ring("c1", "Jane", "+15550100")
    harness.connect("c1")
    harness.emit(SILENT)
    qtbot.waitUntil(notice.isVisible)
    assert notice.text() == "Microphone silent — the caller may not hear you"
    assert notice.toolTip() == SILENT.message
    assert notice.property("level") == "warning"
    qtbot.wait(400)
    assert notice.isVisible()  # a warning stays while it holds
    harness.emit(BACK)
    qtbot.waitUntil(lambda: notice.text() == "Microphone works again")
    assert notice.property("level") == "ok"
    qtbot.waitUntil(lambda: not notice.isVisible())


def test_the_warning_goes_with_its_call_and_an_ok_alone_says_nothing(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    _window, notice = notice_in_window(qtbot, bridge)
    harness.ring("c1", "Jane", "+15550100")
    harness.connect("c1")
    harness.emit(protocol.MicrophoneCheck("c1", "clipping", "Your microphone is too loud."))
    qtbot.waitUntil(notice.isVisible)
    assert notice.text() == "Microphone too loud — the caller hears you distorted"
    harness.hang_up("c1")
    qtbot.waitUntil(lambda: not notice.isVisible())
    harness.ring("c2", "Joe", "+15550101")
    harness.connect("c2")
    harness.emit(protocol.MicrophoneCheck("c2", "ok", "Your microphone works."))
    qtbot.wait(50)
    assert not notice.isVisible()
