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


def main(out: Path) -> None:  # filled in with the screens below
    out.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens-customer"))
