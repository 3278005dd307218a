"""The right-hand side of the main window: the caller's card, the order form, the wrap-up.

Three tabs, Alt+letter each: **Customer** (the card, or the chooser when several
customers share the number, or the new-customer form), **Order** and **Wrap-up**. Only
the shown page's keys are live, so the card's and the order form's Ctrl+Shift+G never
clash.

The workspace shows what it is given and reports what the agent does; it never talks to
the phone, the CRM or the cache itself:

- ``show_loading(call_id, number)``, ``show_lookup(result)`` (a ``ScreenPopResult``),
  ``open_order_form(customer=None)``, ``show_wrapup(entry, deadline, ...)``, ``clear()``;
- ``set_catalogue(catalogue, price_lists, usual_for_type)`` when the cached catalogue
  or price lists change;
- signals ``transfer_requested(str)`` (an extension), ``order_submitted(OrderCreate)``,
  ``lead_submitted(CustomerLead)``, ``wrapup_done(CallLogCreate)`` and
  ``customer_chosen(str, str)`` (call id, customer id: the agent picked one of several).

Everything here runs on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QScrollArea, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from softphone.crm.schema import (
    CallLog,
    Customer,
    CustomerType,
    Order,
    PriceLists,
)
from softphone.gui.customer_card import CustomerCard
from softphone.gui.customer_chooser import CustomerChooser
from softphone.gui.new_customer import NewCustomerForm
from softphone.gui.order_form import OrderForm
from softphone.gui.wrapup import WrapUpForm
from softphone.orders.catalogue import Catalogue
from softphone.orders.drafts import DraftStore
from softphone.screenpop import ScreenPopResult
from softphone.storage.history import HistoryEntry

CUSTOMER_TAB, ORDER_TAB, WRAPUP_TAB = 0, 1, 2
CARD_PAGE, CHOOSER_PAGE, NEW_CUSTOMER_PAGE = 0, 1, 2  # pages of the Customer tab


def tr(text: str) -> str:
    return QCoreApplication.translate("Workspace", text)


def scrolled(widget: QWidget, parent: QWidget) -> QScrollArea:
    """``widget`` in a vertical scroll area (never a horizontal one: text elides)."""
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area


class Workspace(QWidget):
    """Card, order form and wrap-up in tabs (see the module docstring). GUI thread."""

    transfer_requested = Signal(str)
    order_submitted = Signal(object)  # OrderCreate
    lead_submitted = Signal(object)  # CustomerLead
    wrapup_done = Signal(object)  # CallLogCreate
    customer_chosen = Signal(str, str)  # call id, customer id

    def __init__(self, draft_store: DraftStore, *, dispositions: Sequence[str],
                 offer_minimum: int = 3, default_region: str = "US", agent: str = "",
                 clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], date] = date.today,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.agent = agent
        self.call_id = ""
        self.number = ""
        self.result: ScreenPopResult | None = None
        self.customer: Customer | None = None
        self.recent_orders: list[Order] = []
        self.recent_calls: list[CallLog] = []
        self.catalogue = Catalogue([])
        self.price_lists = PriceLists(columns=[], column_for_type={})
        self.usual_for_type: Mapping[CustomerType, Sequence[str]] = {}

        self.card = CustomerCard()
        self.chooser = CustomerChooser()
        self.new_customer = NewCustomerForm(default_region)
        self.order_form = OrderForm(draft_store, offer_minimum=offer_minimum, today=today)
        self.wrapup = WrapUpForm(dispositions, clock=clock)

        self.customer_stack = QStackedWidget(self)
        self.customer_stack.addWidget(scrolled(self.card, self))
        self.customer_stack.addWidget(self.chooser)
        self.customer_stack.addWidget(scrolled(self.new_customer, self))
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("workspaceTabs")
        self.tabs.addTab(self.customer_stack, tr("C&ustomer"))
        self.tabs.addTab(scrolled(self.order_form, self), tr("O&rder"))
        self.tabs.addTab(scrolled(self.wrapup, self), tr("&Wrap-up"))
        self.tabs.setTabEnabled(ORDER_TAB, False)
        self.tabs.setTabEnabled(WRAPUP_TAB, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.card.transfer_requested.connect(self.transfer_requested.emit)
        self.card.order_requested.connect(self.open_order_form)
        self.card.new_customer_requested.connect(self.show_new_customer)
        self.chooser.chosen.connect(self._chosen)
        self.new_customer.lead_ready.connect(self._lead_ready)
        self.new_customer.cancelled.connect(self._show_card)
        self.order_form.submitted.connect(self._order_submitted)
        self.order_form.transfer_requested.connect(self.transfer_requested.emit)
        self.order_form.back_requested.connect(self._show_card)
        self.wrapup.done.connect(self._wrapup_done)
        self.card.clear()

    # ---------------------------------------------------------------- data

    def set_catalogue(self, catalogue: Catalogue, price_lists: PriceLists,
                      usual_for_type: Mapping[CustomerType, Sequence[str]] | None = None
                      ) -> None:
        """The products and price lists orders are taken from, and the SKUs usual for each
        customer type (from the cache). An order being taken keeps its catalogue, but
        its suggestions take the new usual products at once."""
        self.catalogue = catalogue
        self.price_lists = price_lists
        self.usual_for_type = usual_for_type or {}
        form = self.order_form
        if form.customer is not None:
            form.set_usual_for_type(self.usual_for_type.get(form.customer.type, ()))

    # ---------------------------------------------------------------- the caller

    def clear(self) -> None:
        """No call: an empty card; the order and wrap-up tabs are closed."""
        self.call_id, self.number, self.result, self.customer = "", "", None, None
        self.card.clear()
        self._show_card()
        self.tabs.setTabEnabled(ORDER_TAB, False)

    def show_loading(self, call_id: str, number: str) -> None:
        """A call came in and its lookup started."""
        self.call_id, self.number, self.customer = call_id, number, None
        self.card.show_loading(number)
        self._show_card()

    def show_lookup(self, result: ScreenPopResult, now: datetime | None = None) -> None:
        """Show a ``ScreenPopResult``: one customer, a chooser, unknown or withheld.

        A newer result for the same call (the CRM's after the cache's) replaces the
        older one, keeping the customer the agent chose among several; it updates the
        card in place and never takes the agent away from the order, the wrap-up or
        the new-customer form.
        """
        same_call = result.call_id == self.call_id
        chosen = self.customer.id if same_call and self.customer is not None else None
        reveal = not (same_call and self._busy_elsewhere())
        self.call_id = result.call_id
        self.number = result.number
        self.result = result
        matches = list(result.matches)
        self.recent_orders = list(result.recent_orders)
        self.recent_calls = list(result.recent_calls)
        if result.withheld:
            self.customer = None
            self.card.show_withheld()
        elif not matches:
            self.customer = None
            self.card.show_unknown(self.number)
        elif len(matches) == 1 or chosen in {m.id for m in matches}:
            pick = next((m for m in matches if m.id == chosen), matches[0])
            self._show_customer(pick, now, reveal=reveal)
            return
        else:
            self.customer = None
            self.chooser.set_customers(matches, self.number)
            if reveal:
                self.customer_stack.setCurrentIndex(CHOOSER_PAGE)
                self.tabs.setCurrentIndex(CUSTOMER_TAB)
                self.chooser.list.setFocus()
            return
        if reveal:
            self._show_card()

    def _busy_elsewhere(self) -> bool:
        """The agent is on the order, the wrap-up or the new-customer form."""
        return (self.tabs.currentIndex() != CUSTOMER_TAB
                or self.customer_stack.currentIndex() == NEW_CUSTOMER_PAGE)

    def _show_customer(self, customer: Customer, now: datetime | None = None, *,
                       reveal: bool = True) -> None:
        self.customer = customer
        result = self.result
        source = result.source if result is not None else "cache"
        fetched_at = result.fetched_at if result is not None else None
        self.card.show_customer(
            customer, source=source, fetched_at=fetched_at,
            orders=[o for o in self.recent_orders if o.customer_id == customer.id],
            calls=[c for c in self.recent_calls if c.customer_id == customer.id],
            number=self.number, now=now or datetime.now(UTC))
        self.tabs.setTabEnabled(ORDER_TAB, True)
        if reveal:
            self._show_card()

    def _chosen(self, customer: Customer) -> None:
        self._show_customer(customer)
        self.customer_chosen.emit(self.call_id, customer.id)

    def show_new_customer(self) -> None:
        """The quick form for an unknown or withheld caller."""
        withheld = self.result is not None and self.result.withheld
        self.new_customer.start("" if withheld else self.number, call_id=self.call_id,
                                agent=self.agent)
        self.customer_stack.setCurrentIndex(NEW_CUSTOMER_PAGE)
        self.tabs.setCurrentIndex(CUSTOMER_TAB)
        self.new_customer.inputs["name"].setFocus()

    def _lead_ready(self, lead: object) -> None:
        self.lead_submitted.emit(lead)
        self.card.show_unknown(self.number)
        self.card.hint.setText(tr("Recorded as a new customer; the head of department will "
                                  "assign a manager."))
        self._show_card()

    def _show_card(self) -> None:
        self.customer_stack.setCurrentIndex(CARD_PAGE)
        self.tabs.setCurrentIndex(CUSTOMER_TAB)

    # ---------------------------------------------------------------- the order

    def open_order_form(self, customer: Customer | None = None) -> bool:
        """Open the order form for ``customer`` (default: the caller shown); False if none."""
        customer = customer or self.customer
        if customer is None:
            return False
        form = self.order_form
        if form.customer is None or form.customer.id != customer.id or form.draft is None:
            form.open(customer, self.catalogue, self.price_lists,
                      recent_orders=[o for o in self.recent_orders
                                     if o.customer_id == customer.id],
                      usual_for_type=self.usual_for_type.get(customer.type, ()),
                      call_id=self.call_id, agent=self.agent)
        self.tabs.setTabEnabled(ORDER_TAB, True)
        self.tabs.setCurrentIndex(ORDER_TAB)
        form.focus_search()
        return True

    def _order_submitted(self, order: object) -> None:
        self.order_form.draft = None
        self.order_form.customer = None
        self.order_submitted.emit(order)
        self._show_card()

    # ---------------------------------------------------------------- after the call

    def show_wrapup(self, entry: HistoryEntry, deadline: float | None, *,
                    customer_id: str | None = None, customer_name: str = "") -> None:
        """Wrap up ``entry`` (the call that ended); ``deadline`` on the agent's clock."""
        customer = self.customer
        if customer_id is None and customer is not None and entry.call_id == self.call_id:
            customer_id, customer_name = customer.id, customer_name or customer.name
        self.wrapup.start(entry, deadline, customer_id=customer_id,
                          customer_name=customer_name, agent=self.agent)
        self.tabs.setTabEnabled(WRAPUP_TAB, True)
        self.tabs.setCurrentIndex(WRAPUP_TAB)
        self.wrapup.dispositions.setFocus()

    def _wrapup_done(self, log: object) -> None:
        self.tabs.setTabEnabled(WRAPUP_TAB, False)
        self.wrapup_done.emit(log)
        self._show_card()
