"""Offscreen screenshots of the customer screens, and the sample data the tests share.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_customer [OUT_DIR]
    (default /tmp/screens-customer)

Saves the customer card (key account with debt, retail from cache, withheld number), the
chooser, the new-customer form, the order form and the wrap-up.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QWidget

from softphone.agent import Agent
from softphone.crm.schema import (
    CallDirection,
    CallLog,
    Customer,
    CustomerType,
    Delivery,
    DeliveryMethod,
    DiscountRule,
    Manager,
    Order,
    OrderLine,
    OrderStatus,
    PriceColumn,
    PriceLists,
    Product,
)
from softphone.gui.agent_state_view import AgentBridge, AgentStateView
from softphone.gui.application import create_application
from softphone.gui.order_form import OrderForm
from softphone.gui.workspace import Workspace
from softphone.gui.wrapup import parse_dispositions
from softphone.orders.catalogue import Catalogue
from softphone.orders.drafts import InMemoryDraftStore
from softphone.phone import CallEnded
from softphone.protocol import CallStateChanged, RemoteParty
from softphone.screenpop import ScreenPopResult
from softphone.storage.history import HistoryEntry
from tests.gui.harness import FakeClock

NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)


def customer(**overrides: object) -> Customer:
    """A key account in Ho Chi Minh City with a manager; ``overrides`` change any field."""
    values: dict[str, object] = {
        "id": "C-1001",
        "name": "Nguyễn Thị Mai",
        "company": "Công ty TNHH Thực phẩm Sài Gòn Xanh",
        "phones": ["+842838221234"],
        "email": "mai.nguyen@saigonxanh.vn",
        "type": CustomerType.KEY,
        "manager": Manager(name="Trần Văn Hùng", extension="2104"),
        "balance": Decimal("-12400.50"),
        "overdue_debt": Decimal("12400.50"),
        "credit_limit": Decimal("50000.00"),
        "region": "Hồ Chí Minh",
        "payment_terms": "30 days net",
        "delivery_address": "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "notes": "Prefers deliveries before 10:00. Ask for Ms Mai; the warehouse closes "
                 "at 16:00 on Saturdays.",
        "last_order_at": NOW - timedelta(days=12),
        "updated_at": NOW - timedelta(hours=3),
    }
    values.update(overrides)
    return Customer.model_validate(values)


def retail() -> Customer:
    return customer(id="C-2040", name="Popescu Andrei", company="Magazin Mixt Popescu SRL",
                    phones=["+40213102040"], email="", type=CustomerType.RETAIL,
                    manager=Manager(name="Ionescu Elena", extension="2210"),
                    balance=Decimal("350.00"), overdue_debt=Decimal(0),
                    credit_limit=Decimal("5000.00"), region="București",
                    payment_terms="Cash on delivery", notes="", delivery_address=
                    "Strada Lipscani 21, București")


def greek() -> Customer:
    return customer(id="C-3055", name="Αλέξανδρος Παπαδόπουλος",
                    company="Παπαδόπουλος & Υιοί Α.Ε.", phones=["+302105550199"],  # noqa: RUF001
                    email="a.papadopoulos@papadopoulos-ae.gr",
                    type=CustomerType.REGIONAL, overdue_debt=Decimal(0),
                    overpayment=Decimal("820.00"), balance=Decimal("820.00"),
                    region="Θεσσαλονίκη", manager=Manager(name="Νίκος Γεωργίου",
                                                          extension="2301"))


def persian() -> Customer:
    return customer(id="C-4077", name="محمد رضا حسینی", company="بازرگانی حسینی",
                    phones=["+982188887777"], type=CustomerType.MARKETER, email="",
                    overdue_debt=Decimal(0), balance=Decimal(0), region="تهران",
                    manager=None, notes="تحویل فقط صبح‌ها")  # noqa: RUF001


def hungarian() -> Customer:
    return customer(id="C-5012", name="Kovács Ágnes", company="Kovács és Társa Kft.",
                    phones=["+3612345678"], email="agnes@kovacs-tarsa.hu",
                    type=CustomerType.NEW, manager=None,
                    overdue_debt=Decimal(0), balance=Decimal(0), region="Budapest",
                    last_order_at=None)


def orders(customer_id: str = "C-1001") -> list[Order]:
    delivery = Delivery(method=DeliveryMethod.DELIVERY, date=NOW.date(), window="08:00-10:00")
    rows = [("SO-24-01871", "1840.00", OrderStatus.SHIPPED, 12),
            ("SO-24-01702", "925.40", OrderStatus.CONFIRMED, 40),
            ("SO-24-01544", "2310.00", OrderStatus.CANCELLED, 75)]
    return [Order(id=f"o{index}", number=number, customer_id=customer_id, status=status,
                  created_at=NOW - timedelta(days=days),
                  lines=[OrderLine(sku="RICE-25", quantity=1, unit_price=Decimal(total),
                                   line_total=Decimal(total))],
                  subtotal=Decimal(total), tax=Decimal(0), total=Decimal(total),
                  delivery=delivery, payment_method="Bank transfer")
            for index, (number, total, status, days) in enumerate(rows)]


def calls(customer_id: str = "C-1001") -> list[CallLog]:
    rows = [("Order taken", "Added 2 boxes of fish sauce", 12),
            ("Callback requested", "Asked about the <b>spring</b> price list", 30)]
    return [CallLog(id=f"l{index}", customer_id=customer_id, phone="+842838221234",
                    direction=CallDirection.INBOUND, started_at=NOW - timedelta(days=days),
                    duration_seconds=180, disposition=disposition, notes=notes,
                    created_at=NOW - timedelta(days=days))
            for index, (disposition, notes, days) in enumerate(rows)]


PRODUCT_ROWS = [
    # sku, name, unit, stock, new, special, key, regional, retail
    ("NM-500", "Nước mắm Phú Quốc 40°N 500 ml", "bottle", 320, False, True, "3.10", "3.40",
     "3.90"),
    ("RICE-25", "Gạo ST25 25 kg", "bag", 80, False, False, "31.00", "33.50", "36.00"),
    ("OIL-5", "Ελαιόλαδο Καλαμάτας 5 L", "can", 45, True, False, "38.00", "41.00", "46.50"),
    ("PAP-100", "Szegedi édes paprika 100 g", "pack", 600, True, False, "1.20", "1.35",
     "1.60"),
    ("SAF-1", "زعفران سرگل ۱ گرم", "box", 12, False, True, "6.80", "7.20", "8.50"),  # noqa: RUF001
    ("ZAC-1", "Zacuscă de casă 300 g", "jar", 150, False, False, "2.10", "2.30", "2.70"),
    ("FETA-1", "Φέτα ΠΟΠ 1 kg", "tub", 0, False, False, "9.50", "10.20", "11.90"),
]


def products() -> list[Product]:
    rows = []
    for sku, name, unit, stock, new, special, key, regional, retail_price in PRODUCT_ROWS:
        rows.append(Product(sku=sku, name=name, unit=unit, stock=stock, is_new=new,
                            is_special=special, updated_at=NOW,
                            prices={"wholesale": Decimal(key), "regional": Decimal(regional),
                                    "retail": Decimal(retail_price)}))
    return rows


def price_lists() -> PriceLists:
    return PriceLists(
        columns=[PriceColumn(id="wholesale", name="Wholesale"),
                 PriceColumn(id="regional", name="Regional"),
                 PriceColumn(id="retail", name="Retail")],
        column_for_type={CustomerType.KEY: "wholesale", CustomerType.REGIONAL: "regional",
                         CustomerType.RETAIL: "retail", CustomerType.MARKETER: "wholesale",
                         CustomerType.NEW: "retail"},
        discount_rules=[DiscountRule(id="key-10", description="Key accounts, 10 or more",
                                     customer_type=CustomerType.KEY, min_quantity=10,
                                     percent=Decimal(5))],
        tax_percent=Decimal(10))


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    widget.grab().save(str(out / f"{name}.png"))
    print(out / f"{name}.png")


def pop(matches: list[Customer], **overrides: Any) -> ScreenPopResult:
    """A screen-pop result as the service delivers it."""
    values: dict[str, Any] = {
        "call_id": "c1", "number": "+84 28 3822 1234", "e164": "+842838221234",
        "matches": matches, "source": "crm", "fetched_at": NOW,
        "recent_orders": orders(), "recent_calls": calls(), "withheld": False}
    values.update(overrides)
    return ScreenPopResult(**values)


def fill_order(form: OrderForm) -> None:
    """Three lines, a delivery agreed, two products offered."""
    catalogue = form.catalogue
    for sku, quantity in (("NM-500", 24), ("RICE-25", 4), ("PAP-100", 10)):
        product = catalogue.get(sku)
        assert product is not None
        form.add_product(product)
        form.set_quantity(sku, quantity)
    form.date.setDate(QDate(2025, 3, 6))
    form.time_window.setEditText("08:00-12:00")
    form.contact.setText("Lê Văn Tâm (warehouse)")
    form.contact.textEdited.emit(form.contact.text())
    form.payment.setEditText("Bank transfer")
    form.documents["Invoice"].setChecked(True)
    form.documents["Delivery note"].setChecked(True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    clock = FakeClock()
    workspace = Workspace(InMemoryDraftStore(), dispositions=parse_dispositions(
        "Order taken,Information given,Complaint,Callback requested,Transferred,Wrong number"),
        default_region="VN", agent="1001", clock=clock, today=NOW.date)
    workspace.set_catalogue(Catalogue(products()), price_lists(),
                            {CustomerType.KEY: ["ZAC-1", "FETA-1"]})
    workspace.resize(560, 860)
    workspace.show()
    settle(app)

    workspace.show_lookup(pop([customer()]), now=NOW)
    settle(app)
    save(workspace, out, "card-key-account-debt")

    workspace.show_lookup(pop([retail()], number="+40 21 310 2040", source="cache",
                              fetched_at=NOW - timedelta(hours=3), recent_orders=[],
                              recent_calls=[]), now=NOW)
    settle(app)
    save(workspace, out, "card-retail-from-cache")

    workspace.show_lookup(pop([persian()], number="+98 21 8888 7777", recent_orders=[],
                              recent_calls=[]), now=NOW)
    settle(app)
    save(workspace, out, "card-rtl")

    long_notes = "Giao hàng trước 10:00. " * 40 + "x" * 300
    workspace.show_lookup(pop([customer(name="<b>Boss</b> " + "Nguyễn Thị Mai Phương " * 8,
                                        company="Công ty TNHH " * 14, notes=long_notes)]),
                          now=NOW)
    settle(app)
    save(workspace, out, "card-long-markup")

    workspace.show_lookup(pop([], number="anonymous", e164=None, withheld=True,
                              source="none", recent_orders=[], recent_calls=[]))
    settle(app)
    save(workspace, out, "card-withheld")

    workspace.show_lookup(pop([customer(), greek(), persian(), hungarian()]))
    settle(app)
    save(workspace, out, "chooser")

    workspace.show_lookup(pop([], number="028 3822 9999", source="none", recent_orders=[],
                              recent_calls=[]))
    workspace.show_new_customer()
    workspace.new_customer.set_value("name", "Trần Thị Lan")
    workspace.new_customer.set_value("email", "lan at example")
    workspace.new_customer.save()
    settle(app)
    save(workspace, out, "new-customer")

    form = workspace.order_form
    workspace.resize(620, 1500)
    workspace.show_lookup(pop([customer()]), now=NOW)
    workspace.open_order_form()
    fill_order(form)
    form.submit()
    settle(app)
    save(form, out, "order-form-debt")

    clean = customer(overdue_debt=Decimal(0), balance=Decimal("1200.00"))
    workspace.order_form.draft = None
    workspace.show_lookup(pop([clean]), now=NOW)
    workspace.open_order_form()
    fill_order(form)
    form.suggestion_list.setCurrentRow(0)
    form.mark_offered()
    form.submit()
    settle(app)
    save(form, out, "order-form-offer-prompt")

    workspace.resize(560, 860)
    entry = HistoryEntry("c1", "incoming", "Nguyễn Thị Mai", "+84 28 3822 1234", "",
                         NOW.timestamp(), NOW.timestamp() + 4, NOW.timestamp() + 190, 186.0,
                         "answered")
    workspace.show_wrapup(entry, clock() + 60)
    clock.advance(17)
    workspace.wrapup.tick()
    workspace.wrapup.dispositions.setCurrentRow(0)
    workspace.wrapup.notes.setPlainText("Ordered 24 bottles of fish sauce; asked about the "
                                        "spring price list.")
    workspace.wrapup.set_callback(datetime(2025, 3, 11, 9, 30))
    settle(app)
    save(workspace, out, "wrapup")

    agent = Agent({"wrapup.seconds": 60, "agent.busy_action": "decline"}, clock=clock)
    bridge = AgentBridge(agent)
    states = AgentStateView(bridge)
    states.show()
    settle(app)
    save(states, out, "agent-state-available")
    agent.handle_event(CallStateChanged("c1", "confirmed", "incoming",
                                        RemoteParty("", "+842838221234", ""), 200))
    agent.handle_event(CallEnded(entry))
    settle(app)
    save(states, out, "agent-state-wrapup")
    bridge.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens-customer"))
