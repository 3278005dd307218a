"""The order form: keyboard entry, live totals, suggestions and the offer prompt, the debt
block, inline problems, Ctrl+Enter, autosave and restore."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from softphone.crm.schema import CustomerType, DeliveryMethod, OrderCreate
from softphone.gui.order_form import OrderForm
from softphone.orders.catalogue import Catalogue
from softphone.orders.draft import OrderDraft
from softphone.orders.drafts import InMemoryDraftStore
from tests.gui.screens_customer import customer, greek, orders, price_lists, products, retail

TODAY = date(2025, 3, 4)
CTRL = Qt.KeyboardModifier.ControlModifier


def clean_key_account() -> object:
    return customer(overdue_debt=Decimal(0), balance=Decimal("1200.00"))


@pytest.fixture
def store() -> InMemoryDraftStore:
    return InMemoryDraftStore()


@pytest.fixture
def form(qtbot: QtBot, store: InMemoryDraftStore) -> OrderForm:
    return shown_form(qtbot, store)


def shown_form(qtbot: QtBot, store: InMemoryDraftStore) -> OrderForm:
    widget = OrderForm(store, offer_minimum=3, today=lambda: TODAY, autosave_ms=50)
    qtbot.addWidget(widget)
    widget.resize(640, 1100)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget


def open_for(form: OrderForm, who: object = None) -> None:
    form.open(who or clean_key_account(), Catalogue(products()), price_lists(),  # type: ignore[arg-type]
              recent_orders=orders(), call_id="c1", agent="1001")


def add_by_search(qtbot: QtBot, form: OrderForm, query: str, downs: int = 0) -> None:
    form.focus_search()
    qtbot.keyClicks(form.search, query)
    for _ in range(downs):
        qtbot.keyClick(form.search, Qt.Key.Key_Down)
    qtbot.keyClick(form.search, Qt.Key.Key_Return)


def fill_delivery(form: OrderForm) -> None:
    form.date.setDate(QDate(2025, 3, 6))
    form.time_window.setEditText("08:00-12:00")
    form.contact.setText("Lê Văn Tâm")
    form.contact.textEdited.emit("Lê Văn Tâm")
    form.payment.setEditText("Bank transfer")


def table_row(form: OrderForm, row: int) -> list[str]:
    return [form.table.item(row, col).text() for col in range(form.table.columnCount())]  # type: ignore[union-attr]


def test_opens_prefilled_with_the_customer(form: OrderForm) -> None:
    open_for(form)
    assert form.title.text() == "Order for Nguyễn Thị Mai"
    assert form.badge.text() == "★ Key account"
    assert form.address.toPlainText().startswith("12 Lê Lợi")
    assert form.search.hasFocus()
    assert not form.debt.isVisible()
    assert form.problems() == {}  # nothing flagged before the agent does anything


def test_search_arrows_enter_and_live_totals(qtbot: QtBot, form: OrderForm) -> None:
    open_for(form)
    qtbot.keyClicks(form.search, "nuoc")  # accents ignored
    assert form.results.count() == 1
    assert "Nước mắm Phú Quốc" in form.results.item(0).text()
    qtbot.keyClick(form.search, Qt.Key.Key_Return)
    assert table_row(form, 0) == ["NM-500", "Nước mắm Phú Quốc 40°N 500 ml", "1", "3.10", "",
                                  "3.10"]
    assert form.search.hasFocus() and form.search.selectedText() == "nuoc"
    qtbot.keyClick(form.search, Qt.Key.Key_Return)  # again: one more
    assert table_row(form, 0)[2] == "2"
    add_by_search(qtbot, form, "RICE")
    assert form.totals.text() == "Subtotal 37.20 · Tax 10% 3.72"
    assert form.grand_total.text() == "Total 40.92"
    # quantity typed in the table: 10 bottles gets the key-account discount
    form.table.setFocus()
    form.table.setCurrentCell(0, 2)
    qtbot.keyClick(form.table, Qt.Key.Key_F2)
    editor = form.table.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(editor, "10")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table_row(form, 0)[4:] == ["5", "29.45"])
    assert table_row(form, 0)[2] == "10"
    assert form.grand_total.text() == "Total 66.50"


def test_delete_removes_the_selected_line(qtbot: QtBot, form: OrderForm) -> None:
    open_for(form)
    add_by_search(qtbot, form, "RICE")
    add_by_search(qtbot, form, "ZAC")
    form.table.setFocus()
    form.table.selectRow(0)
    qtbot.keyClick(form.table, Qt.Key.Key_Delete)
    assert form.table.rowCount() == 1
    assert table_row(form, 0)[0] == "ZAC-1"
    assert [x.sku for x in form.draft.lines] == ["ZAC-1"]  # type: ignore[union-attr]


def test_product_without_price_is_refused_with_the_reason(qtbot: QtBot,
                                                          form: OrderForm) -> None:
    lists = price_lists()
    lists = lists.model_copy(update={"column_for_type": {CustomerType.KEY: "wholesale"}})
    form.open(retail(), Catalogue(products()), lists)
    add_by_search(qtbot, form, "RICE")
    assert form.table.rowCount() == 0
    assert form.search_error.isVisible()
    assert "No price list is set for retail customers" in form.search_error.text()


def suggestion_texts(form: OrderForm) -> list[str]:
    return [form.suggestion_list.item(i).text() for i in range(form.suggestion_list.count())]


@pytest.mark.parametrize(("who", "reason"), [
    (retail, "usual for retail customers"),
    (lambda: customer(type=CustomerType.MARKETER, overdue_debt=Decimal(0)),
     "usual for marketers"),
], ids=["retail", "marketer"])
def test_products_usual_for_the_customers_type_are_offered_with_the_reason(
        form: OrderForm, who: object, reason: str) -> None:
    form.open(who(), Catalogue(products()), price_lists(),  # type: ignore[operator]
              usual_for_type=["ZAC-1", "NO-SUCH", "FETA-1"], call_id="c1", agent="1001")
    by_sku = {s.sku: s.reason for s in form.suggestions}
    assert by_sku["ZAC-1"] == by_sku["FETA-1"] == reason
    assert "NO-SUCH" not in by_sku  # not in the catalogue: never offered
    assert any(text.startswith("\u2068Zacuscă de casă 300 g\u2069 · ") and
               text.endswith(f" — {reason}") for text in suggestion_texts(form))

    form.set_usual_for_type(["FETA-1"])  # a sync brought new ones
    assert [s.sku for s in form.suggestions if reason in s.reasons] == ["FETA-1"]


def test_suggestions_add_mark_and_the_offer_prompt(qtbot: QtBot, form: OrderForm,
                                                   store: InMemoryDraftStore) -> None:
    open_for(form)
    add_by_search(qtbot, form, "RICE")
    fill_delivery(form)
    texts = [form.suggestion_list.item(i).text() for i in range(form.suggestion_list.count())]
    assert any("special" in text for text in texts)
    qtbot.keyClick(form.search, Qt.Key.Key_Return, CTRL)
    assert form.offer_prompt.isVisible()
    assert "offer 3 more" in form.offer_text.text()
    assert form.suggestion_list.hasFocus()
    first = form.suggestions[0].sku
    qtbot.keyClick(form.suggestion_list, Qt.Key.Key_Return)  # adds it
    assert form.draft is not None and form.draft.line(first) is not None
    qtbot.keyClick(form.suggestion_list, Qt.Key.Key_Space)  # marks the next as offered
    assert len(form.draft.offered_skus) == 2
    assert "offer 1 more" in form.offer_text.text()
    assert form.offer_count.text() == "Offered 2 of 3"
    qtbot.keyClick(form.suggestion_list, Qt.Key.Key_Escape)  # one key dismisses
    assert not form.offer_prompt.isVisible()
    assert form.draft.suggestions_dismissed_at is not None
    assert form.offer_count.text() == "Offered 2 · prompt dismissed"
    with qtbot.waitSignal(form.submitted) as sent:
        qtbot.keyClick(form.submit_button, Qt.Key.Key_Return, CTRL)
    order = sent.args[0]
    assert isinstance(order, OrderCreate)
    assert order.suggestions_dismissed is True
    assert len(order.offered_skus) == 2
    assert order.customer_id == "C-1001" and order.call_id == "c1" and order.agent == "1001"
    assert order.delivery.date == date(2025, 3, 6)
    assert order.delivery.contact_person == "Lê Văn Tâm"
    assert order.payment_method == "Bank transfer"
    assert store.load_all().result() == []  # a sent order's draft is gone


def test_debt_blocks_submission_and_offers_the_transfer(qtbot: QtBot, form: OrderForm) -> None:
    open_for(form, customer())  # overdue debt 12,400.50
    assert form.debt.isVisible()
    assert "Overdue debt of 12,400.50" in form.debt_text.text()
    assert "Trần Văn Hùng, ext. 2104" in form.debt_text.text()
    add_by_search(qtbot, form, "RICE")
    with qtbot.assertNotEmitted(form.submitted):
        qtbot.keyClick(form.search, Qt.Key.Key_Return, CTRL)
    assert form.transfer_button.hasFocus()
    with qtbot.waitSignal(form.transfer_requested) as transfer:
        qtbot.keyClick(form, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert transfer.args == ["2104"]


def test_problems_shown_next_to_fields_on_submit(qtbot: QtBot, form: OrderForm) -> None:
    open_for(form, greek())  # regional, with an overpayment
    greek_ok = greek().model_copy(update={"overpayment": Decimal(0)})
    form.open(greek_ok, Catalogue(products()), price_lists())
    assert form.method.currentData() == DeliveryMethod.SHIPPING.value
    assert form.holders["delivery.shipping_details"].isVisibleTo(form)
    assert not form.holders["delivery.address"].isVisibleTo(form)
    form.draft.dismiss_suggestions()  # type: ignore[union-attr]
    with qtbot.assertNotEmitted(form.submitted):
        qtbot.keyClick(form.search, Qt.Key.Key_Return, CTRL)
    problems = form.problems()
    assert problems["lines"] == "The order has no products yet."
    assert "pick-up" not in problems["delivery.date"]
    assert problems["delivery.date"] == "Agree the delivery date with the customer."
    assert problems["payment_method"] == "Agree the payment method for regional customers."
    assert "shipping details" in problems["delivery.shipping_details"]
    assert form.summary.isVisible()
    assert form.search.hasFocus()  # the first thing to fix
    form.method.setCurrentIndex(form.method.findData(DeliveryMethod.PICKUP.value))
    assert form.captions["delivery.date"].text() == "Pick-up &date"
    assert "delivery.shipping_details" not in form.problems()


def test_autosave_is_debounced_into_the_store(qtbot: QtBot, form: OrderForm,
                                              store: InMemoryDraftStore) -> None:
    open_for(form)
    add_by_search(qtbot, form, "RICE")
    form.notes.setPlainText("Ring the <b>back</b> door")
    assert form.autosave_pending()
    assert store.load_all().result() == []  # not on every key press
    qtbot.waitUntil(lambda: len(store.load_all().result()) == 1)
    saved = store.load_all().result()[0]
    assert saved.notes == "Ring the <b>back</b> door"
    assert [x.sku for x in saved.lines] == ["RICE-25"]
    assert saved.customer_id == "C-1001"


def test_saved_draft_is_offered_and_restored_by_key(qtbot: QtBot, form: OrderForm,
                                                    store: InMemoryDraftStore) -> None:
    earlier = OrderForm(store, today=lambda: TODAY)
    open_for(earlier)
    earlier.add_product(products()[1])
    earlier.notes.setPlainText("Ring the <b>back</b> door")
    earlier.save_now()
    saved_id = earlier.draft.draft_id  # type: ignore[union-attr]
    earlier.deleteLater()

    open_for(form)
    assert form.restore_bar.isVisible()
    assert "(1 products)" in form.restore_text.text()
    assert form.table.rowCount() == 0
    qtbot.keyClick(form, Qt.Key.Key_R, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert not form.restore_bar.isVisible()
    assert table_row(form, 0)[0] == "RICE-25"
    assert form.notes.toPlainText() == "Ring the <b>back</b> door"
    assert form.draft is not None and form.draft.draft_id == saved_id
    assert form.draft.call_id == "c1"


class SlowDraftStore(InMemoryDraftStore):
    """Answers ``load_all`` only when the test says so, from another thread, as the
    encrypted cache's worker does when it is busy."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[Future[list[OrderDraft]]] = []

    def load_all(self) -> Future[list[OrderDraft]]:
        future: Future[list[OrderDraft]] = Future()
        self.pending.append(future)
        return future

    def answer(self) -> None:
        drafts = super().load_all().result()
        for future in self.pending:
            threading.Thread(target=future.set_result, args=(drafts,)).start()


def test_form_opens_at_once_and_offers_a_draft_when_the_cache_answers(
        qtbot: QtBot) -> None:
    store = SlowDraftStore()
    earlier = OrderForm(store, today=lambda: TODAY)
    open_for(earlier)
    earlier.add_product(products()[1])
    earlier.save_now()
    earlier.deleteLater()

    form = shown_form(qtbot, store)
    open_for(form)  # the cache has not answered: the form is usable all the same
    assert not form.restore_bar.isVisible()
    add_by_search(qtbot, form, "nuoc")
    store.answer()
    qtbot.waitUntil(form.restore_bar.isVisible)
    assert "(1 products)" in form.restore_text.text()
    assert table_row(form, 0)[0] == "NM-500"  # what was typed meanwhile is untouched


def test_markup_and_rtl_product_names_are_plain(qtbot: QtBot, form: OrderForm) -> None:
    open_for(form)
    add_by_search(qtbot, form, "SAF")
    assert table_row(form, 0)[1] == "زعفران سرگل ۱ گرم"  # noqa: RUF001
    form.contact.setText("<b>Boss</b>")
    assert form.contact.text() == "<b>Boss</b>"
    assert "&lt;b&gt;" not in form.table.item(0, 1).text()  # type: ignore[union-attr]
