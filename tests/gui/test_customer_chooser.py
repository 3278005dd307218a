"""The chooser for a number several customers share: keyboard only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.gui.customer_chooser import CustomerChooser, row_text
from softphone.orders.catalogue import fold
from tests.gui.screens_customer import customer, greek, hungarian, persian, retail


@pytest.fixture
def chooser(qtbot: QtBot) -> CustomerChooser:
    widget = CustomerChooser()
    qtbot.addWidget(widget)
    widget.resize(460, 360)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_customers([customer(), retail(), greek(), persian(), hungarian()],
                         "+84 28 3822 1234")
    return widget


def names(chooser: CustomerChooser) -> list[str]:
    return [c.name for c in chooser.visible_customers()]


def test_arrows_and_return_pick_a_customer(qtbot: QtBot, chooser: CustomerChooser) -> None:
    assert chooser.list.hasFocus()
    assert chooser.current_customer() == customer()
    qtbot.keyClick(chooser.list, Qt.Key.Key_Down)
    qtbot.keyClick(chooser.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(chooser.chosen) as picked:
        qtbot.keyClick(chooser.list, Qt.Key.Key_Return)
    assert picked.args == [greek()]
    assert "5 customers have the number" in chooser.title.text()


def test_typing_filters_ignoring_case_and_accents(qtbot: QtBot,
                                                  chooser: CustomerChooser) -> None:
    qtbot.keyClicks(chooser.list, "kovacs")
    assert chooser.filter.text() == "kovacs"
    assert names(chooser) == ["Kovács Ágnes"]
    qtbot.keyClick(chooser.list, Qt.Key.Key_Backspace)
    assert chooser.filter.text() == "kovac"
    qtbot.keyClick(chooser.list, Qt.Key.Key_Escape)
    assert chooser.filter.text() == ""
    assert len(names(chooser)) == 5
    qtbot.keyClicks(chooser.list, "nguyen sai gon")
    assert names(chooser) == ["Nguyễn Thị Mai"]
    with qtbot.waitSignal(chooser.chosen) as picked:
        qtbot.keyClick(chooser.list, Qt.Key.Key_Return)
    assert picked.args == [customer()]


def test_filter_field_arrows_move_the_list(qtbot: QtBot, chooser: CustomerChooser) -> None:
    chooser.filter.setFocus()
    qtbot.keyClicks(chooser.filter, "bu")  # București and Budapest
    assert names(chooser) == ["Popescu Andrei", "Kovács Ágnes"]
    qtbot.keyClick(chooser.filter, Qt.Key.Key_Down)
    assert chooser.list.hasFocus()
    assert chooser.current_customer() == hungarian()


def test_no_match_says_so(qtbot: QtBot, chooser: CustomerChooser) -> None:
    qtbot.keyClicks(chooser.list, "zzz")
    assert names(chooser) == []
    assert chooser.empty.isVisible()
    with qtbot.assertNotEmitted(chooser.chosen):
        qtbot.keyClick(chooser.list, Qt.Key.Key_Return)


def test_rows_are_plain_and_isolated() -> None:
    text = row_text(customer(name="<b>Boss</b>", company="محمد"))
    assert text.startswith("\u2068<b>Boss</b>\u2069 — \u2068محمد\u2069 · Key account")
    assert fold("Nguyễn Đức") == "nguyen duc"
