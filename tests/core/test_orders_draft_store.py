"""Order drafts kept in the encrypted cache survive a restart of the app."""

from __future__ import annotations

from pathlib import Path

from softphone.orders.draft import OrderDraft
from softphone.orders.drafts import CacheDraftStore
from tests.core.orders_samples import PRICE_LISTS, customer, product
from tests.sync.helpers import secrets_with, sync_service


def test_a_draft_saved_before_a_restart_comes_back(tmp_path: Path) -> None:
    secrets = secrets_with("token")
    buyer = customer(name="Nguyễn Thị Mai")
    draft = OrderDraft.for_customer(buyer, call_id="call-7")
    draft.add_product(product("TEA-1"), PRICE_LISTS, quantity=3)
    with sync_service(tmp_path, "", secrets) as service:
        store = CacheDraftStore(service)
        store.save(draft)
        other = OrderDraft.for_customer(buyer)
        store.save(other)
        store.delete(other.draft_id)

    with sync_service(tmp_path, "", secrets) as service:
        (restored,) = CacheDraftStore(service).load_all().result(5)
        cache_file = service.cache.path
    assert restored.draft_id == draft.draft_id
    assert restored.call_id == "call-7"
    assert [(line.sku, line.quantity) for line in restored.lines] == [("TEA-1", 3)]
    for path in cache_file.parent.glob(cache_file.name + "*"):
        assert b"call-7" not in path.read_bytes(), f"draft in clear in {path.name}"
