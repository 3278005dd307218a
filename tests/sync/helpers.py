"""Building blocks of the sync tests: CRM data, a profile pointing at a server, and a
``SyncService`` on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from softphone.crm.schema import OrderCreate
from softphone.paths import Profile
from softphone.secrets import CRM_TOKEN, SecretStore
from softphone.settings import Settings
from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServer

NOW = "2026-11-01T09:00:00+00:00"
PRICE_LISTS: dict[str, Any] = {
    "columns": [{"id": "retail", "name": "Retail"}, {"id": "wholesale", "name": "Wholesale"}],
    "column_for_type": {"retail": "retail", "new": "retail", "key": "wholesale",
                        "regional": "wholesale", "marketer": "retail"},
    "tax_percent": "20",
}


def phone_of(n: int) -> str:
    """A distinct valid Romanian mobile number per customer number."""
    return f"+4072{n:07d}"


def customer(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"c{n}", "name": f"Customer {n}", "type": "retail", "region": "north",
            "phones": [phone_of(n)], "updated_at": NOW, **fields}


def customers(start: int, stop: int, **fields: Any) -> list[dict[str, Any]]:
    return [customer(n, **fields) for n in range(start, stop)]


def product(n: int) -> dict[str, Any]:
    return {"sku": f"SKU-{n}", "name": f"Product {n}", "updated_at": NOW,
            "prices": {"retail": "10.00", "wholesale": "8.00"}}


def order(customer_id: str, sku: str = "SKU-1", note: str = "") -> OrderCreate:
    return OrderCreate.model_validate({
        "customer_id": customer_id,
        "lines": [{"sku": sku, "quantity": 2, "unit_price": "10.00"}],
        "delivery": {"method": "delivery", "date": "2026-12-01", "contact_person": "Mai"},
        "payment_method": "invoice", "notes": note,
    })


def orders_with_note(crm: CrmServer, note: str, customer_id: str = "c1"
                     ) -> list[dict[str, object]]:
    """The customer's orders in the CRM that carry ``note``."""
    with crm.client() as http:
        orders = http.get(f"/customers/{customer_id}/orders",
                          params={"limit": 50}).json()["orders"]
    return [o for o in orders if o["notes"] == note]


def secrets_with(token: str, service: str | None = None) -> SecretStore:
    """A keyring service of its own (or memory only, with no keyring) holding ``token``."""
    store = SecretStore(service or f"softphone-test-{uuid.uuid4().hex[:10]}")
    store.set(CRM_TOKEN, token)
    return store


def profile_for(root: Path, url: str, **settings: Any) -> tuple[Profile, Settings]:
    profile = Profile.from_dir(root)
    profile.create()
    values = {"crm.url": url, "crm.timeout_seconds": 2, "sync.interval_seconds": 3600,
              **settings}
    config = Settings(profile.settings_file)
    for name, value in values.items():
        config.set(name, value)
    return profile, config


@contextmanager
def sync_service(root: Path, url: str, secrets: SecretStore, **settings: Any
                 ) -> Iterator[SyncService]:
    """A service on a fresh profile, not started; stopped at the end."""
    profile, config = profile_for(root, url, **settings)
    service = SyncService(profile, config, secrets)
    try:
        yield service
    finally:
        service.stop()
