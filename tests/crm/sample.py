"""Small, readable CRM data for the tests: customers, products and price lists."""

from __future__ import annotations

from typing import Any

PRICE_LISTS: dict[str, Any] = {
    "columns": [{"id": "retail", "name": "Retail"}, {"id": "wholesale", "name": "Wholesale"}],
    "column_for_type": {"retail": "retail", "new": "retail", "key": "wholesale",
                        "regional": "wholesale", "marketer": "retail"},
    "discount_rules": [{"id": "bulk", "description": "10+ boxes", "min_quantity": 10,
                        "percent": "5"}],
    "tax_percent": "20",
}


def customer(customer_id: str, **fields: Any) -> dict[str, Any]:
    """A customer document; ``fields`` override the defaults."""
    return {"id": customer_id, "name": f"Customer {customer_id}", "type": "retail",
            "updated_at": "2026-11-01T09:00:00+00:00", **fields}


def product(sku: str, retail: str = "10.00", wholesale: str = "8.00", **fields: Any
            ) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "prices": {"retail": retail,
                                                              "wholesale": wholesale},
            "updated_at": "2026-11-01T09:00:00+00:00", **fields}


def order(customer_id: str, *lines: tuple[str, int, str], **fields: Any) -> dict[str, Any]:
    """An ``OrderCreate`` document with (sku, quantity, unit price) lines."""
    return {
        "customer_id": customer_id,
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": price}
                  for sku, quantity, price in lines],
        "delivery": {"method": "delivery", "date": "2026-12-01", "contact_person": "Mai"},
        "payment_method": "invoice",
        **fields,
    }


def call_log(customer_id: str | None, started_at: str, **fields: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "phone": "+12125550100", "direction": "inbound",
            "started_at": started_at, "duration_seconds": 95, "disposition": "order taken",
            **fields}
