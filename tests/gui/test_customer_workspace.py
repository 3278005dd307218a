"""The workspace: a screen-pop result to the right page, and the agent's acts out as signals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.crm.schema import CallLogCreate, CustomerLead, CustomerType
from softphone.gui.application import SoftphoneGui
from softphone.gui.workspace import (
    CUSTOMER_TAB,
    NEW_CUSTOMER_PAGE,
    ORDER_TAB,
    WRAPUP_TAB,
    Workspace,
)
from softphone.orders.catalogue import Catalogue
from softphone.orders.drafts import InMemoryDraftStore
from softphone.screenpop import ScreenPopResult
from softphone.storage.history import HistoryEntry
from tests.gui.app_gui import app_context, softphone_gui, start_desk
from tests.gui.harness import FakeClock
from tests.gui.screens_customer import (
    NOW,
    calls,
    customer,
    greek,
    orders,
    price_lists,
    products,
    retail,
)
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.sync import helpers


def result(matches: list[Any], **overrides: Any) -> ScreenPopResult:
    values: dict[str, Any] = {
        "call_id": "c1", "number": "+84 28 3822 1234", "e164": "+842838221234",
        "matches": matches, "source": "cache", "fetched_at": NOW - timedelta(hours=3),
        "recent_orders": orders(), "recent_calls": calls(), "withheld": False}
    values.update(overrides)
    return ScreenPopResult(**values)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def workspace(qtbot: QtBot, fake_clock: FakeClock) -> Workspace:
    widget = Workspace(InMemoryDraftStore(), dispositions=["Order taken", "Complaint"],
                       default_region="VN", agent="1001", clock=fake_clock)
    widget.set_catalogue(Catalogue(products()), price_lists())
    qtbot.addWidget(widget)
    widget.resize(560, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget


def test_one_match_shows_the_card_with_its_own_history(workspace: Workspace) -> None:
    other = retail()
    workspace.show_lookup(result([customer()]), now=NOW)
    assert workspace.tabs.currentIndex() == CUSTOMER_TAB
    assert workspace.card.mode == "customer"
    assert workspace.card.source.text() == "From cache, 3 h old"
    assert len(workspace.card.orders.texts()) == 3
    assert workspace.tabs.isTabEnabled(ORDER_TAB)
    workspace.show_lookup(result([other], recent_orders=orders(), source="crm"), now=NOW)
    assert workspace.card.name.text() == "Popescu Andrei"
    assert workspace.card.orders.texts() == []  # those orders belong to another customer


def test_several_matches_choose_then_the_crm_update_keeps_the_choice(
        qtbot: QtBot, workspace: Workspace) -> None:
    workspace.show_lookup(result([customer(), greek()]), now=NOW)
    assert workspace.customer_stack.currentWidget() is workspace.chooser
    qtbot.keyClick(workspace.chooser.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(workspace.customer_chosen) as chosen:
        qtbot.keyClick(workspace.chooser.list, Qt.Key.Key_Return)
    assert chosen.args == ["c1", "C-3055"]
    assert workspace.card.name.text() == "Αλέξανδρος Παπαδόπουλος"
    workspace.show_lookup(result([customer(), greek()], source="crm"), now=NOW)
    assert workspace.card.name.text() == "Αλέξανδρος Παπαδόπουλος"
    assert workspace.card.source.text() == "Live from the CRM"


def test_unknown_number_to_new_customer_lead(qtbot: QtBot, workspace: Workspace) -> None:
    workspace.show_lookup(result([], number="028 3822 9999", source="none"))
    assert workspace.card.mode == "unknown"
    qtbot.keyClick(workspace, Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert workspace.customer_stack.currentIndex() == 2
    assert workspace.new_customer.values()["phone"] == "028 3822 9999"
    workspace.new_customer.set_value("name", "Trần Thị Lan")
    with qtbot.waitSignal(workspace.lead_submitted) as lead:
        qtbot.keyClick(workspace.new_customer.inputs["name"], Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    assert isinstance(lead.args[0], CustomerLead)
    assert lead.args[0].phones == ["+842838229999"]
    assert lead.args[0].call_id == "c1"
    assert workspace.customer_stack.currentIndex() == 0


def test_withheld_number_and_new_customer_without_phone(workspace: Workspace) -> None:
    workspace.show_lookup(result([], number="anonymous", e164=None, withheld=True,
                                 source="none"))
    assert workspace.card.mode == "withheld"
    workspace.show_new_customer()
    assert workspace.new_customer.values()["phone"] == ""


def test_order_from_the_card_and_transfer_from_the_debt_block(qtbot: QtBot,
                                                              workspace: Workspace) -> None:
    workspace.show_lookup(result([customer()]), now=NOW)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(workspace, Qt.Key.Key_O, ctrl_shift)
    assert workspace.tabs.currentIndex() == ORDER_TAB
    assert workspace.order_form.debt.isVisible()
    with qtbot.waitSignal(workspace.transfer_requested) as transfer:
        qtbot.keyClick(workspace, Qt.Key.Key_G, ctrl_shift)  # only the shown page's key
    assert transfer.args == ["2104"]


def test_the_crms_later_answer_never_pulls_the_agent_off_the_order_or_new_customer(
        qtbot: QtBot, workspace: Workspace) -> None:
    workspace.show_lookup(result([customer()]), now=NOW)
    assert workspace.open_order_form()
    workspace.order_form.notes.setPlainText("Half typed")
    workspace.show_lookup(result([customer()], source="crm"), now=NOW)
    assert workspace.tabs.currentIndex() == ORDER_TAB
    assert workspace.order_form.notes.toPlainText() == "Half typed"
    assert workspace.card.source.text() == "Live from the CRM"  # updated behind

    workspace.show_lookup(result([], call_id="c2", number="028 3822 9999"), now=NOW)
    assert workspace.tabs.currentIndex() == CUSTOMER_TAB  # a new call shows its card
    workspace.show_new_customer()
    workspace.new_customer.set_value("name", "Trần Thị Lan")
    workspace.show_lookup(result([], call_id="c2", number="028 3822 9999", source="none"),
                          now=NOW)
    assert workspace.customer_stack.currentIndex() == NEW_CUSTOMER_PAGE
    assert workspace.new_customer.values()["name"] == "Trần Thị Lan"


def test_order_submitted_goes_out(qtbot: QtBot, workspace: Workspace) -> None:
    clean = customer(overdue_debt=Decimal(0), balance=Decimal(0))
    workspace.show_lookup(result([clean]), now=NOW)
    assert workspace.open_order_form()
    form = workspace.order_form
    form.add_product(products()[1])
    form.date.setDate(form.date.minimumDate().addYears(40))
    form.contact.setText("Lê Văn Tâm")
    form.contact.textEdited.emit("Lê Văn Tâm")
    form.payment.setEditText("Bank transfer")
    form.submit()
    assert form.offer_prompt.isVisible()
    form.dismiss_offer_prompt()
    with qtbot.waitSignal(workspace.order_submitted) as sent:
        form.submit()
    assert sent.args[0].customer_id == "C-1001"
    assert sent.args[0].call_id == "c1"
    assert workspace.tabs.currentIndex() == CUSTOMER_TAB


def test_wrapup_for_the_caller(qtbot: QtBot, workspace: Workspace,
                               fake_clock: FakeClock) -> None:
    workspace.show_lookup(result([customer()]), now=NOW)
    entry = HistoryEntry("c1", "incoming", "", "+842838221234", "", 1.0, 2.0, 62.0, 60.0,
                         "answered")
    workspace.show_wrapup(entry, fake_clock() + 60)
    assert workspace.tabs.currentIndex() == WRAPUP_TAB
    assert workspace.wrapup.call_label.text().startswith("Nguyễn Thị Mai")
    qtbot.keyClick(workspace.wrapup.dispositions, Qt.Key.Key_1)
    with qtbot.waitSignal(workspace.wrapup_done) as done:
        qtbot.keyClick(workspace.wrapup.dispositions, Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    log = done.args[0]
    assert isinstance(log, CallLogCreate)
    assert log.customer_id == "C-1001" and log.disposition == "Order taken"
    assert not workspace.tabs.isTabEnabled(WRAPUP_TAB)


# ------------------------------------------------------------------ the whole desk
RETAIL_REASON = "usual for retail customers"


@pytest.fixture
def usual_crm(tmp_path: Path) -> Iterator[CrmServer]:
    """A CRM whose other retail customers (c8, c9) order SKU-5, and c8 SKU-6 too; the
    caller (c7) has never ordered."""
    with serving_the_app(tmp_path / "crm", {
        "price_lists": helpers.PRICE_LISTS,
        "customers": [helpers.customer(7, name="Ioana Popescu"), helpers.customer(8),
                      helpers.customer(9)],
        "products": [helpers.product(n) for n in range(1, 8)],
    }) as server:
        for who, sku in (("c8", "SKU-5"), ("c9", "SKU-5"), ("c8", "SKU-6")):
            place_order(server, who, sku)
        yield server


def place_order(crm: CrmServer, customer_id: str, sku: str) -> None:
    """An order taken by another desk, straight into the CRM."""
    with crm.client() as http:
        response = http.post("/orders", json=helpers.order(customer_id, sku).model_dump(
            mode="json"), headers={"Idempotency-Key": f"{customer_id}-{sku}"})
    assert response.status_code == 201, response.text


@pytest.fixture
def desk_app(qtbot: QtBot, tmp_path: Path, usual_crm: CrmServer) -> Iterator[SoftphoneGui]:
    """The real app on a profile of its own, syncing with ``usual_crm``; no phone engine."""
    context = app_context(tmp_path / "profile", {
        "crm.url": usual_crm.url, "crm.timeout_seconds": 2, "sync.interval_seconds": 3600,
        "calls.default_region": "RO"})
    with softphone_gui(context) as running:
        start_desk(running)
        yield running


def offered_for_the_type(workspace: Workspace) -> list[str]:
    return [s.sku for s in workspace.order_form.suggestions if RETAIL_REASON in s.reasons]


def test_a_retail_caller_is_offered_what_retail_customers_usually_order(
        qtbot: QtBot, desk_app: SoftphoneGui, usual_crm: CrmServer) -> None:
    sync, desk, screenpop = desk_app.context.sync, desk_app.desk, desk_app.context.screenpop
    assert sync is not None and desk is not None and screenpop is not None
    workspace = desk.workspace
    qtbot.waitUntil(lambda: workspace.usual_for_type.get(CustomerType.RETAIL)
                    == ["SKU-5", "SKU-6"], timeout=30_000)

    screenpop.on_incoming("call-1", "sip:0720000007@pbx", "Ioana")
    qtbot.waitUntil(lambda: workspace.customer is not None, timeout=10_000)
    assert workspace.customer is not None and workspace.customer.id == "c7"
    assert workspace.open_order_form()
    assert offered_for_the_type(workspace) == ["SKU-5", "SKU-6"]
    list_widget = workspace.order_form.suggestion_list
    texts = [list_widget.item(i).text() for i in range(list_widget.count())]
    assert any("Product 5" in text and text.endswith(f"— {RETAIL_REASON}") for text in texts)

    place_order(usual_crm, "c9", "SKU-7")  # the sync brings a new list: the form shows it
    sync.sync_now()
    qtbot.waitUntil(lambda: offered_for_the_type(workspace) == ["SKU-5", "SKU-6", "SKU-7"],
                    timeout=30_000)
