"""An order typed at the customer desk the way an agent types it: keyboard first."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from softphone.gui.desk import CustomerDesk

CTRL = Qt.KeyboardModifier.ControlModifier


def take_order_by_keyboard(qtbot: QtBot, desk: CustomerDesk) -> None:
    workspace = desk.workspace
    assert workspace.open_order_form()
    form = workspace.order_form
    form.focus_search()
    qtbot.keyClicks(form.search, "SKU-2")
    qtbot.keyClick(form.search, Qt.Key.Key_Return)
    for _ in range(2):
        qtbot.keyClick(form.search, Qt.Key.Key_Return)  # again: one more each time
    form.date.setDate(QDate.currentDate().addDays(3))
    form.contact.setFocus()
    qtbot.keyClicks(form.contact, "Ioana Popescu")
    qtbot.keyClicks(form.address, "Str. Lipscani 10, Bucharest")  # QTest types Latin-1 only
    form.payment.setFocus()
    form.payment.setEditText("Bank transfer")
    with qtbot.waitSignal(workspace.order_submitted, timeout=5000):
        qtbot.keyClick(form.search, Qt.Key.Key_Return, CTRL)  # the offer prompt first
        qtbot.keyClick(form.suggestion_list, Qt.Key.Key_Escape)  # dismissed with one key
        qtbot.keyClick(form.submit_button, Qt.Key.Key_Return, CTRL)


def wrap_up_by_keyboard(qtbot: QtBot, desk: CustomerDesk) -> None:
    """The first outcome in the list (key 1), then Done (Ctrl+Enter)."""
    wrapup = desk.workspace.wrapup
    qtbot.keyClick(wrapup.dispositions, Qt.Key.Key_1)
    qtbot.keyClick(wrapup.dispositions, Qt.Key.Key_Return, CTRL)
