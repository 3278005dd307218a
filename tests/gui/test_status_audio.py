"""The status-bar notice about audio devices that were unplugged or came back."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui import status
from softphone.gui.bridge import PhoneBridge
from softphone.gui.status import add_audio_notice, describe_switch
from tests.gui.harness import PhoneHarness

UNPLUGGED = protocol.AudioDeviceSwitched(
    "speaker", "unplugged", "Jabra", "Jabra", "Laptop speakers",
    'Headset "Jabra" unplugged — using "Laptop speakers".')
RETURNED = protocol.AudioDeviceSwitched(
    "speaker", "returned", "Jabra", "Laptop speakers", "Jabra",
    'Headset "Jabra" is back — using it again.')
ON_FALLBACK = protocol.DevicesChanged(
    ["Laptop mic"], ["Laptop speakers"], "Laptop mic", "Laptop speakers", "Laptop speakers",
    ['Headset "Jabra" is not connected; using "Laptop speakers" instead.'], [], True)
BACK = protocol.DevicesChanged(["Jabra"], ["Jabra"], "Jabra", "Jabra", "Jabra")


def test_words() -> None:
    assert describe_switch(UNPLUGGED) == "Headset unplugged — using Laptop speakers"
    assert describe_switch(RETURNED) == "Headset plugged back in — using Jabra"
    missing = protocol.AudioDeviceSwitched("microphone", "missing", "USB mic", "", "", "")
    assert describe_switch(missing) == "Microphone not connected — none available"


def test_notice_stays_while_on_the_fallback_and_goes_after_the_return(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "NOTICE_SECONDS", 0.2)
    window = QMainWindow()
    qtbot.addWidget(window)
    notice = add_audio_notice(bridge, window.statusBar())
    window.show()
    assert not notice.isVisible()
    harness.emit(UNPLUGGED, ON_FALLBACK)
    qtbot.waitUntil(notice.isVisible)
    assert notice.text() == "Headset unplugged — using Laptop speakers"
    assert notice.toolTip() == UNPLUGGED.message
    assert notice.property("level") == "warning"
    qtbot.wait(400)
    assert notice.isVisible()  # still on the fallback: it stays
    harness.emit(RETURNED, BACK)
    qtbot.waitUntil(lambda: notice.text() == "Headset plugged back in — using Jabra")
    assert notice.property("level") == "ok"
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=3000)


def test_a_device_missing_at_start_shows_when_the_window_opens(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    harness.emit(ON_FALLBACK)  # before the window existed
    window = QMainWindow()
    qtbot.addWidget(window)
    notice = add_audio_notice(bridge, window.statusBar())
    window.show()
    assert notice.isVisible()
    assert notice.text() == ON_FALLBACK.warnings[0]
