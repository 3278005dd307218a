"""The main window, driven through a real (unstarted) Phone as its engine would drive it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui.main_window import MainWindow
from softphone.gui.text import plain_tooltip
from tests.gui.harness import FakeClock, PhoneHarness

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def wait_for_call(qtbot: QtBot, window: MainWindow, call_id: str) -> None:
    qtbot.waitUntil(lambda: window.call_list.row_for(call_id) is not None)


def on_call(qtbot: QtBot, harness: PhoneHarness, window: MainWindow, call_id: str = "c1",
            name: str = "Ana Pop", number: str = "+40213102040") -> None:
    harness.ring(call_id, name, number)
    harness.connect(call_id)
    qtbot.waitUntil(window.actions_by_name["hold"].isEnabled)


# ------------------------------------------------------------------ registration


@pytest.mark.parametrize(
    ("event", "expected", "level"),
    [
        (protocol.RegistrationChanged("registered", "", 200), "Registered", "ok"),
        (protocol.RegistrationChanged("registering"), "Registering…", "busy"),
        (protocol.RegistrationChanged("failed", "authentication failed", 401),
         "Not registered: authentication failed", "error"),
        (protocol.RegistrationChanged("failed", "", 403),
         "Not registered: authentication failed", "error"),
        (protocol.RegistrationChanged("failed", "server unreachable", 408),
         "Not registered: server unreachable", "error"),
        (protocol.RegistrationChanged("unregistered", "", 200), "Not registered", "off"),
        (protocol.RegistrationChanged("unregistered", "not configured"), "Not set up", "off"),
    ],
)
def test_registration_indicator_says_the_state_in_words(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow,
    event: protocol.RegistrationChanged, expected: str, level: str,
) -> None:
    harness.emit(event)
    qtbot.waitUntil(lambda: window.registration.text() == expected)
    assert window.registration.dot.property("level") == level


def test_authentication_failure_offers_to_enter_the_password(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    harness.register("failed", "authentication failed", 401)
    qtbot.waitUntil(lambda: "Could not sign in: authentication failed. Check the password."
                    in window.banners.texts())
    with qtbot.waitSignal(window.password_requested):
        banner = window.banners.banner("registration")
        assert banner is not None
        button = banner.findChild(QPushButton, "bannerAction")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    harness.register()
    qtbot.waitUntil(lambda: window.banners.banner("registration") is None)


# ------------------------------------------------------------------ dialling


def test_return_in_number_field_dials_the_normalised_number(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    qtbot.keyClicks(window.number_field, "+1 (555) 010-0199")
    qtbot.keyClick(window.number_field, Qt.Key.Key_Return)
    dials = harness.commands(protocol.Dial)
    assert [d.target for d in dials] == ["+15550100199"]  # type: ignore[attr-defined]
    assert not window.number_error.isVisible()
    wait_for_call(qtbot, window, dials[0].call_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("typed", "target"), [
    ("sip:bob@example.com", "sip:bob@example.com"),
    ("tel:+4930123456", "+4930123456"),
    ("1001", "1001"),
])
def test_number_field_accepts_sip_and_tel_uris(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, typed: str, target: str
) -> None:
    window.number_field.setText(typed)
    qtbot.mouseClick(window.dial_button, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Dial)[-1].target == target  # type: ignore[attr-defined]


def test_bad_number_is_explained_inline_not_in_a_popup(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    qtbot.keyClicks(window.number_field, "call <me> maybe?")
    qtbot.keyClick(window.number_field, Qt.Key.Key_Return)
    assert window.number_error.isVisible()
    assert "is not a number or SIP address" in window.number_error.text()
    assert window.number_error.textFormat() == Qt.TextFormat.PlainText
    assert QApplication.activeModalWidget() is None
    assert harness.commands(protocol.Dial) == []
    assert window.number_field.text() == "call <me> maybe?"
    qtbot.keyClick(window.number_field, Qt.Key.Key_Backspace)
    assert not window.number_error.isVisible()


def test_empty_number_field_asks_for_a_number(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    qtbot.keyClick(window.number_field, Qt.Key.Key_Return)
    assert window.number_error.text() == "Enter a number or SIP address to call."


def test_redial_shortcut_calls_the_last_number_again(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    harness.phone.history.recent(1)  # the phone's start-up read of the history is done
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL_SHIFT)
    assert window.number_error.text() == "No number was dialled yet."
    assert harness.commands(protocol.Dial) == []
    qtbot.keyClicks(window.number_field, "0720 000 007")
    qtbot.keyClick(window.number_field, Qt.Key.Key_Return)
    window.number_field.clear()
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL_SHIFT)
    dials = harness.commands(protocol.Dial)
    assert [d.target for d in dials] == ["0720000007"] * 2  # type: ignore[attr-defined]
    assert not window.number_error.isVisible()
    assert window.actions_by_name["redial"].shortcut().toString() == "Ctrl+Shift+L"


# ------------------------------------------------------------------ call controls


def test_answer_button_and_shortcut_send_answer(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    harness.ring("c1", "Ana Pop", "+40213102040")
    qtbot.waitUntil(window.buttons["answer"].isEnabled)
    qtbot.mouseClick(window.buttons["answer"], Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Answer) == [protocol.Answer("c1")]
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_A, CTRL_SHIFT)
    assert harness.commands(protocol.Answer) == [protocol.Answer("c1")] * 2


def test_decline_sends_decline(qtbot: QtBot, harness: PhoneHarness, window: MainWindow) -> None:
    harness.ring("c1", "Ana Pop", "+40213102040")
    qtbot.waitUntil(window.buttons["decline"].isEnabled)
    qtbot.mouseClick(window.buttons["decline"], Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Decline) == [protocol.Decline("c1", 486)]


def test_hang_up_by_button_and_shortcut(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    qtbot.mouseClick(window.buttons["hangup"], Qt.MouseButton.LeftButton)
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL_SHIFT)
    assert harness.commands(protocol.Hangup) == [protocol.Hangup("c1")] * 2
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert len(harness.commands(protocol.Hangup)) == 2  # Escape never hangs up


def test_hold_toggles_between_hold_and_resume(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    hold = window.buttons["hold"]
    assert hold.text() == "H&old"
    qtbot.mouseClick(hold, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Hold) == [protocol.Hold("c1")]
    assert not hold.isChecked()  # the button follows the phone, not the click
    harness.hold("c1")
    qtbot.waitUntil(lambda: hold.text() == "&Resume")
    assert hold.isChecked()
    row = window.call_list.row_for("c1")
    assert row is not None
    assert row.hold_badge.isVisible()
    assert "On hold" in row.state.text()
    qtbot.mouseClick(hold, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Resume) == [protocol.Resume("c1")]


def test_mute_toggles(qtbot: QtBot, harness: PhoneHarness, window: MainWindow) -> None:
    on_call(qtbot, harness, window)
    mute = window.buttons["mute"]
    qtbot.mouseClick(mute, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Mute) == [protocol.Mute(True)]
    harness.emit(protocol.MuteChanged(True))
    qtbot.waitUntil(mute.isChecked)
    assert mute.text() == "Un&mute"
    assert window.mic_meter.note.text() == "Muted"
    qtbot.mouseClick(mute, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Mute) == [protocol.Mute(True), protocol.Mute(False)]


def test_keypad_sends_dtmf_during_a_call_and_types_otherwise(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    window.toggle_keypad()
    assert window.dial_pad.isVisible()
    qtbot.mouseClick(window.dial_pad.buttons["5"], Qt.MouseButton.LeftButton)
    assert window.number_field.text() == "5"
    assert harness.commands(protocol.SendDtmf) == []
    on_call(qtbot, harness, window)
    qtbot.mouseClick(window.dial_pad.buttons["1"], Qt.MouseButton.LeftButton)
    window.dial_pad.setFocus()
    qtbot.keyClicks(window.dial_pad, "#")
    assert harness.commands(protocol.SendDtmf) == [protocol.SendDtmf("c1", "1"),
                                                   protocol.SendDtmf("c1", "#")]
    assert window.number_field.text() == "5"
    assert window.dtmf_echo.text().endswith("1#")


def test_transfer_asks_for_a_target_and_sends_a_blind_transfer(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_call(qtbot, harness, window)
    monkeypatch.setattr(window, "ask_transfer_target", lambda: "1002")
    qtbot.mouseClick(window.buttons["transfer"], Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.Transfer) == [protocol.Transfer("c1", "1002")]
    harness.emit(protocol.TransferResult("c1", False, 404, "Not Found"))
    qtbot.waitUntil(lambda: "Transfer failed: Not Found" in window.banners.texts())


def test_answering_a_second_call_holds_the_first(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    harness.ring("c2", "Second Caller", "+36 1 234 5678")
    qtbot.waitUntil(window.buttons["answer"].isEnabled)
    window.answer()
    assert harness.sent[-2:] == [protocol.Hold("c1"), protocol.Answer("c2")]


# ------------------------------------------------------------------ call list


def test_call_list_shows_name_number_direction_state_and_timer(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, clock: FakeClock
) -> None:
    harness.ring("c1", "Ana Pop", "+40213102040")
    wait_for_call(qtbot, window, "c1")
    row = window.call_list.row_for("c1")
    assert row is not None
    assert row.name.text() == "Ana Pop"
    assert row.number.text() == "+40213102040"
    assert row.state.text() == "Incoming · Ringing"
    harness.connect("c1")
    qtbot.waitUntil(lambda: row.state.text() == "Incoming · Connected")
    assert row.timer.text() == "00:00"
    clock.advance(65)
    window.tick()
    assert row.timer.text() == "01:05"
    clock.advance(3600)
    window.tick()
    assert row.timer.text() == "1:01:05"
    assert window._timer.isActive() and window._timer.interval() == 1000


def test_second_incoming_call_while_on_a_call_shows_both(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    harness.ring("c2", "Second Caller", "+36 1 234 5678")
    wait_for_call(qtbot, window, "c2")
    assert window.call_list.count() == 2
    assert window.call_list.selected_call_id() == "c1"  # the talking call stays selected
    assert window.buttons["answer"].isEnabled()


def test_markup_in_remote_names_is_shown_literally(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    raw = "<b>Boss</b><img src=x>"
    harness.ring("c1", raw, "<i>1001</i>")
    wait_for_call(qtbot, window, "c1")
    row = window.call_list.row_for("c1")
    assert row is not None
    assert row.name.text() == raw
    assert row.name.textFormat() == Qt.TextFormat.PlainText
    assert row.name.toolTip() == plain_tooltip(raw)
    assert "<b>" not in row.name.toolTip()
    assert row.number.text() == "<i>1001</i>"
    assert row.number.textFormat() == Qt.TextFormat.PlainText


def test_long_and_right_to_left_names_keep_the_window_width(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    width = window.width()
    harness.ring("c1", "Very Long Display Name " * 20, "+1 555 0100 " * 10)
    harness.ring("c2", "محمد رضا حسینی", "+98 21 8888 7777")
    wait_for_call(qtbot, window, "c2")
    qtbot.wait(10)
    assert window.width() == width
    assert window.minimumSizeHint().width() < 520
    rtl = window.call_list.row_for("c2")
    assert rtl is not None
    assert rtl.name.text() == "محمد رضا حسینی"
    assert rtl.name.direction() == Qt.LayoutDirection.RightToLeft
    long_row = window.call_list.row_for("c1")
    assert long_row is not None and long_row.name.is_elided()


# ------------------------------------------------------------------ engine news


def test_engine_crash_keeps_what_the_agent_typed(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    qtbot.keyClicks(window.number_field, "+44 20 7946 0")
    window.number_field.setCursorPosition(3)
    harness.crash()
    qtbot.waitUntil(lambda: window.call_list.count() == 0)
    assert window.number_field.text() == "+44 20 7946 0"
    assert window.number_field.cursorPosition() == 3
    assert any("restarting" in text for text in window.banners.texts())
    sent = harness.restart()
    assert isinstance(sent[0], protocol.Configure)
    qtbot.waitUntil(lambda: "Phone engine restarted" in window.banners.texts())
    assert window.number_field.text() == "+44 20 7946 0"
    assert QApplication.activeModalWidget() is None


def test_unconfigured_account_offers_the_settings(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    banner = window.banners.banner("registration")
    assert banner is not None
    assert banner.text() == "Enter your SIP account to make and take calls."
    button = banner.findChild(QPushButton, "bannerAction")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.settings_dialog is not None)
    assert window.settings_dialog is not None
    window.settings_dialog.reject()
    qtbot.waitUntil(lambda: window.settings_dialog is None)


def test_device_warnings_show_in_a_banner(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    warning = 'Microphone "Jabra" is not connected; using "Built-in" instead.'
    harness.emit(protocol.DevicesChanged(["Built-in"], ["Built-in"], "Built-in", "Built-in",
                                         "Built-in", [warning]))
    qtbot.waitUntil(lambda: warning in window.banners.texts())
    harness.emit(protocol.DevicesChanged(["Jabra"], ["Jabra"], "Jabra", "Jabra", "Jabra"))
    qtbot.waitUntil(lambda: window.banners.banner("devices") is None)


def test_audio_levels_move_the_meters(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window)
    harness.emit(protocol.AudioLevels(0.5, 0.25))
    qtbot.waitUntil(lambda: window.mic_meter.level() == 50)
    assert window.speaker_meter.level() == 25


def test_user_and_environment_errors_are_banners_bugs_open_the_error_dialog(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    harness.emit(protocol.EngineError("user", "That number is busy."),
                 protocol.EngineError("environment", "Network is down; retrying."))
    qtbot.waitUntil(lambda: {"That number is busy.", "Network is down; retrying."}
                    <= set(window.banners.texts()))
    assert window.errors.dialog is None
    harness.emit(protocol.EngineError("bug", "Internal error in on_call_state: boom",
                                      "Traceback...\npassword=hunter2"))
    qtbot.waitUntil(lambda: window.errors.dialog is not None)
    dialog = window.errors.dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert "Internal error in on_call_state: boom" in copied
    assert "hunter2" not in copied


# ------------------------------------------------------------------ history


def test_history_lists_a_finished_call_and_calls_back_on_return(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow
) -> None:
    on_call(qtbot, harness, window, name="Kovács Ágnes", number="+3612345678")
    harness.hang_up("c1")
    qtbot.waitUntil(lambda: window.history.topLevelItemCount() == 1)
    item = window.history.topLevelItem(0)
    assert item is not None
    assert item.text(1) == "Kovács Ágnes\n+3612345678"
    assert item.text(4) == "Answered"
    assert item.text(0) == "↙"
    window.tabs.setCurrentIndex(1)
    window.history.setCurrentItem(item)
    window.history.setFocus()
    qtbot.keyClick(window.history, Qt.Key.Key_Return)
    assert harness.commands(protocol.Dial)[-1].target == "+3612345678"  # type: ignore[attr-defined]
    assert window.number_field.text() == ""


# ------------------------------------------------------------------ keyboard


def test_every_call_action_has_a_shortcut_in_its_tooltip(window: MainWindow) -> None:
    for name in ("answer", "decline", "hangup", "hold", "mute", "transfer", "keypad"):
        action = window.actions_by_name[name]
        assert not action.shortcut().isEmpty(), name
        native = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
        assert native in action.toolTip()
        assert "&" in action.text(), f"{name} has no mnemonic"


def test_tab_order_starts_at_the_number_field(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    window.number_field.setFocus()
    assert window.number_field.nextInFocusChain() is not None
    qtbot.keyClick(window.number_field, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.dial_button
