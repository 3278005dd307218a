"""The customer card: what it shows, how it treats CRM text, and the commands it offers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.crm.schema import Manager
from softphone.gui.customer_card import CustomerCard
from softphone.gui.text import plain_tooltip
from tests.gui.screens_customer import NOW, calls, customer, orders, persian, retail

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def card(qtbot: QtBot) -> CustomerCard:
    widget = CustomerCard()
    qtbot.addWidget(widget)
    widget.resize(460, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget


def test_key_account_with_debt_is_flagged_in_words(card: CustomerCard) -> None:
    card.show_customer(customer(), source="crm", orders=orders(), calls=calls(), now=NOW)
    assert card.name.text() == "Nguyễn Thị Mai"
    assert card.company.text() == "Công ty TNHH Thực phẩm Sài Gòn Xanh"
    assert card.badge.text() == "★ Key account"
    assert card.badge.property("kind") == "key"
    assert card.property("kind") == "key"
    assert card.source.text() == "Live from the CRM"
    assert card.alert.isVisible()
    assert card.alert_sign.text() == "⚠"
    assert card.alert_title.text() == "Overdue debt: 12,400.50"
    assert "Take no order" in card.alert_text.text()
    assert card.fields["manager"].text() == "\u2068Trần Văn Hùng\u2069 · ext. \u20682104\u2069"
    assert card.fields["balance"].text() == "-12,400.50"
    assert card.fields["balance"].property("negative") is True
    assert card.fields["credit_limit"].text() == "50,000.00"
    assert card.fields["region"].text() == "Hồ Chí Minh"
    assert card.fields["payment_terms"].text() == "30 days net"
    assert card.orders.texts()[0] == ["2025-02-20", "SO-24-01871", "1,840.00", "shipped"]
    assert [row[1] for row in card.calls.texts()] == ["Order taken", "Callback requested"]
    assert not card.no_history.isVisible()


def test_overpayment_is_flagged_and_a_clean_customer_is_not(card: CustomerCard) -> None:
    card.show_customer(customer(overdue_debt=Decimal(0), overpayment=Decimal("820")), now=NOW)
    assert card.alert.isVisible()
    assert card.alert_title.text() == "Overpayment: 820.00"
    assert card.alert.property("level") == "overpayment"
    card.show_customer(retail(), now=NOW)
    assert not card.alert.isVisible()
    assert card.badge.text() == "Retail (own point)"
    assert card.no_history.isVisible()


def test_data_from_cache_says_how_old(card: CustomerCard) -> None:
    card.show_customer(retail(), source="cache", fetched_at=NOW - timedelta(hours=3), now=NOW)
    assert card.source.text() == "From cache, 3 h old"
    card.show_customer(retail(), source="cache", fetched_at=NOW - timedelta(days=2), now=NOW)
    assert card.source.text() == "From cache, 2 days old"


def test_transfer_and_order_buttons_and_keys(qtbot: QtBot, card: CustomerCard) -> None:
    record = customer()
    card.show_customer(record, now=NOW)
    with qtbot.waitSignal(card.transfer_requested) as transfer:
        qtbot.mouseClick(card.manager_button, Qt.MouseButton.LeftButton)
    assert transfer.args == ["2104"]
    assert "Ctrl+Shift+G" in card.manager_button.text()
    with qtbot.waitSignal(card.order_requested) as order:
        qtbot.keyClick(card, Qt.Key.Key_O, CTRL_SHIFT)
    assert order.args == [record]
    with qtbot.waitSignal(card.transfer_requested):
        qtbot.keyClick(card, Qt.Key.Key_G, CTRL_SHIFT)


def test_no_manager_means_no_transfer(qtbot: QtBot, card: CustomerCard) -> None:
    card.show_customer(persian(), now=NOW)
    assert not card.manager_button.isVisible()
    assert card.fields["manager"].text() == "None assigned yet"
    with qtbot.assertNotEmitted(card.transfer_requested):
        qtbot.keyClick(card, Qt.Key.Key_G, CTRL_SHIFT)


def test_markup_in_crm_text_is_shown_literally(card: CustomerCard) -> None:
    raw = "<b>Boss</b><img src=x>"
    card.show_customer(customer(name=raw, company="<i>Co</i>", notes="<script>x</script>",
                                manager=Manager(name="<u>M</u>", extension="1")),
                       calls=calls(), now=NOW)
    assert card.name.text() == raw
    assert card.name.textFormat() == Qt.TextFormat.PlainText
    assert card.name.toolTip() == plain_tooltip(raw)
    assert card.company.text() == "<i>Co</i>"
    assert card.notes.toPlainText() == "<script>x</script>"
    assert "<u>M</u>" in card.fields["manager"].text()
    assert card.calls.texts()[1][2] == "Asked about the <b>spring</b> price list"


def test_long_names_and_notes_keep_the_card_width(card: CustomerCard) -> None:
    card.show_customer(customer(), orders=orders(), now=NOW)
    short_minimum = card.minimumSizeHint().width()
    width = card.width()
    long_name = ("Nguyễn Thị Mai Phương Thảo " * 7).strip()
    long_notes = "x" * 1500 + " " + "Ghi chú dài. " * 190
    card.show_customer(customer(name=long_name, company="Công ty " * 25,
                                notes=long_notes), orders=orders(), now=NOW)
    assert card.width() == width
    assert card.minimumSizeHint().width() == short_minimum < 520
    assert card.name.text() == long_name
    assert card.name.is_elided()
    assert card.notes.toPlainText() == long_notes.strip()
    assert card.notes.height() <= card.fontMetrics().height() * 4 + 16


def test_rtl_name_reads_right_to_left(card: CustomerCard) -> None:
    card.show_customer(persian(), now=NOW)
    assert card.name.text() == "محمد رضا حسینی"
    assert card.name.direction() == Qt.LayoutDirection.RightToLeft
    assert card.company.direction() == Qt.LayoutDirection.RightToLeft
    assert card.fields["region"].direction() == Qt.LayoutDirection.RightToLeft
    option = card.notes.document().defaultTextOption()
    assert option.textDirection() == Qt.LayoutDirection.RightToLeft
    assert option.alignment() & Qt.AlignmentFlag.AlignRight
    card.show_customer(customer(), now=NOW)
    option = card.notes.document().defaultTextOption()
    assert option.textDirection() == Qt.LayoutDirection.LeftToRight
    assert option.alignment() & Qt.AlignmentFlag.AlignLeft


def test_loading_unknown_and_withheld(qtbot: QtBot, card: CustomerCard) -> None:
    card.show_loading("+40 21 310 2040")
    assert card.mode == "loading"
    assert card.badge.text() == "Looking up…"
    assert not card.order_button.isVisible() and not card.details.isVisible()
    card.show_unknown("+40 21 310 2040")
    assert card.name.text() == "+40 21 310 2040"
    assert card.new_button.isVisible()
    with qtbot.waitSignal(card.new_customer_requested):
        qtbot.keyClick(card, Qt.Key.Key_N, CTRL_SHIFT)
    card.show_withheld()
    assert card.name.text() == "Number withheld"
    assert card.new_button.isVisible()
    assert not card.order_button.isVisible()
    with qtbot.assertNotEmitted(card.order_requested):
        qtbot.keyClick(card, Qt.Key.Key_O, CTRL_SHIFT)
