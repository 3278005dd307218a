"""The tray icon controller (offscreen has no tray: it must cope)."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from softphone.gui.actions import CallActions
from softphone.gui.bridge import PhoneBridge
from softphone.gui.tray import TrayController
from tests.gui.harness import PhoneHarness


def make_tray(harness: PhoneHarness, bridge: PhoneBridge, shown: list[str]) -> TrayController:
    return TrayController(harness.phone, bridge, CallActions(harness.phone),
                          show_window=lambda: shown.append("show"),
                          quit_app=lambda: shown.append("quit"))


def test_tray_state_follows_registration_ringing_and_calls(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    tray = make_tray(harness, bridge, [])
    assert tray.available == QSystemTrayIcon.isSystemTrayAvailable()
    assert tray.state == "offline"
    harness.register()
    qtbot.waitUntil(lambda: tray.state == "registered")
    harness.ring("c1", "<b>Boss</b>", "1001")
    qtbot.waitUntil(lambda: tray.state == "ringing")
    assert "Boss" not in tray.tooltip  # no remote text where markup may be rendered
    assert tray.answer_action.isEnabled()
    harness.connect("c1")
    qtbot.waitUntil(lambda: tray.state == "in-call")
    harness.hang_up("c1")
    harness.register("failed", "authentication failed", 401)
    qtbot.waitUntil(lambda: tray.state == "offline")
    assert tray.tooltip == "Softphone — Not registered: authentication failed"


def test_tray_menu_actions(qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge) -> None:
    shown: list[str] = []
    tray = make_tray(harness, bridge, shown)
    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    assert texts == ["&Show Softphone", "&Answer", "&Hang up", "&Quit"]
    tray.show_action.trigger()
    tray.quit_action.trigger()
    assert shown == ["show", "quit"]
    if not tray.available:
        assert tray.icon is None
    tray.hide()
