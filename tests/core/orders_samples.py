"""Sample customers, products and price lists shared by the order tests (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from softphone.crm import schema

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

# Marketers have no column on purpose: a customer type without a price list.
PRICE_LISTS = schema.PriceLists(
    columns=[schema.PriceColumn(id="retail", name="Retail"),
             schema.PriceColumn(id="wholesale", name="Wholesale")],
    column_for_type={schema.CustomerType.RETAIL: "retail", schema.CustomerType.NEW: "retail",
                     schema.CustomerType.KEY: "wholesale",
                     schema.CustomerType.REGIONAL: "wholesale"},
    tax_percent=Decimal(20),
)


def price_lists(*rules: schema.DiscountRule, tax: str = "20") -> schema.PriceLists:
    return PRICE_LISTS.model_copy(update={"discount_rules": list(rules),
                                          "tax_percent": Decimal(tax)})


def rule(rule_id: str, percent: str, **conditions: Any) -> schema.DiscountRule:
    return schema.DiscountRule(id=rule_id, percent=Decimal(percent), **conditions)


def product(sku: str, retail: str | None = "10.00", wholesale: str | None = "8.00",
            **fields: Any) -> schema.Product:
    prices = {column: Decimal(price) for column, price in
              (("retail", retail), ("wholesale", wholesale)) if price is not None}
    values: dict[str, Any] = {"name": f"Product {sku}", "stock": 1000, **fields}
    return schema.Product(sku=sku, prices=prices, updated_at=T0, **values)


def customer(kind: schema.CustomerType = schema.CustomerType.RETAIL,
             **fields: Any) -> schema.Customer:
    values: dict[str, Any] = {"id": "C-1", "name": "Mai Nguyen", "updated_at": T0,
                              "delivery_address": "12 Harbour Rd", **fields}
    return schema.Customer(type=kind, **values)
