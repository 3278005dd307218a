"""The wrap-up form: outcome by keyboard, notes, call-back, the timer on a fake clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.crm.schema import CallDirection, CallLogCreate
from softphone.gui.wrapup import WrapUpForm, parse_dispositions
from softphone.storage.history import HistoryEntry
from tests.gui.harness import FakeClock

DISPOSITIONS = parse_dispositions(
    "Order taken,Information given,Complaint,Callback requested,Transferred,Wrong number")
ENTRY = HistoryEntry("c1", "incoming", "Kovács Ágnes", "+3612345678", "sip:+3612345678@pbx",
                     1_700_000_000.0, 1_700_000_004.0, 1_700_000_190.0, 186.0, "answered")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def form(qtbot: QtBot, fake_clock: FakeClock) -> WrapUpForm:
    widget = WrapUpForm(DISPOSITIONS, clock=fake_clock)
    qtbot.addWidget(widget)
    widget.resize(460, 520)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget


def test_keyboard_wrapup_emits_the_call_log(qtbot: QtBot, form: WrapUpForm,
                                           fake_clock: FakeClock) -> None:
    form.start(ENTRY, fake_clock() + 60, customer_id="C-5012", agent="1001")
    assert form.dispositions.hasFocus()
    assert form.call_label.text() == "Kovács Ágnes · +3612345678 · 03:06"
    qtbot.keyClick(form.dispositions, Qt.Key.Key_4)
    assert form.disposition() == "Callback requested"
    qtbot.keyClick(form.dispositions, Qt.Key.Key_Tab)
    assert form.notes.hasFocus()
    qtbot.keyClicks(form.notes, "Wants the <b>spring</b> prices")
    form.set_callback(datetime(2030, 5, 6, 9, 30))
    with qtbot.waitSignal(form.done) as done:
        qtbot.keyClick(form.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    log = done.args[0]
    assert isinstance(log, CallLogCreate)
    assert log.disposition == "Callback requested"
    assert log.notes == "Wants the <b>spring</b> prices"
    assert log.customer_id == "C-5012" and log.agent == "1001" and log.call_id == "c1"
    assert log.direction == CallDirection.INBOUND and log.duration_seconds == 186
    assert log.callback_at is not None
    assert log.callback_at.astimezone().replace(tzinfo=None) == datetime(2030, 5, 6, 9, 30)


def test_done_without_an_outcome_says_so(qtbot: QtBot, form: WrapUpForm,
                                         fake_clock: FakeClock) -> None:
    form.start(ENTRY, None)
    with qtbot.assertNotEmitted(form.done):
        qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
    assert form.error.isVisible()
    assert form.error.text() == "Pick the call's outcome."
    qtbot.keyClick(form.dispositions, Qt.Key.Key_Down)  # the first move picks the first
    assert not form.error.isVisible()
    with qtbot.waitSignal(form.done) as done:
        qtbot.keyClick(form.dispositions, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert done.args[0].disposition == "Order taken"
    assert done.args[0].callback_at is None


def test_timer_counts_down_then_says_time_is_up(form: WrapUpForm, fake_clock: FakeClock) -> None:
    form.start(ENTRY, fake_clock() + 30)
    assert form.timer_label.text() == "00:30 left"
    assert form.timer_label.property("level") == "running"
    fake_clock.advance(21)
    form.tick()
    assert form.timer_label.text() == "00:09 left"
    assert form.timer_label.property("level") == "short"
    fake_clock.advance(9)
    form.tick()
    assert form.timer_label.text() == "Time is up: you are available again"
    assert form.timer_label.property("level") == "over"


def test_timer_counts_up_without_a_deadline(form: WrapUpForm, fake_clock: FakeClock) -> None:
    form.start(ENTRY, None)
    fake_clock.advance(75)
    form.tick()
    assert form.timer_label.text() == "Wrap-up 01:15"


def test_dispositions_setting_is_cleaned() -> None:
    assert parse_dispositions(" Order taken ,, Complaint,Order taken,<b>x</b>") == [
        "Order taken", "Complaint", "<b>x</b>"]
