"""The encrypted cache: nothing in clear on disk, the key in the keyring, unreadable files
set aside, changes and tombstones, retention, the outbox's order and wipe."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from softphone.cache.files import ASIDE_MARK, CacheKey, load_key, new_key_hex
from softphone.cache.store import NEEDS_ATTENTION, QUEUED, SENT, CacheStore, parse_regions
from softphone.crm.schema import Change, Customer
from softphone.secrets import CACHE_KEY, SecretStore

NAME = "Zenobia Quillfeather"


def customer(n: int, region: str = "north", phones: list[str] | None = None) -> Customer:
    return Customer(id=f"c{n}", name=f"{NAME} {n}", type="retail", region=region,
                    phones=phones if phones is not None else [f"+4072100{n:04d}"],
                    updated_at=datetime.now(UTC))


def upserts(*customers: Customer) -> list[Change]:
    return [Change(id=c.id, customer=c) for c in customers]


@pytest.fixture
def key() -> CacheKey:
    return CacheKey(new_key_hex())


@pytest.fixture
def store(tmp_path: Path, key: CacheKey) -> Iterator[CacheStore]:
    cache = CacheStore(tmp_path / "cache.sqlite3", key)
    cache.ready(10)
    yield cache
    cache.close()


def _files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + "*"))


def test_nothing_in_clear_on_disk_and_no_opening_without_the_key(
        tmp_path: Path, store: CacheStore, key: CacheKey) -> None:
    store.apply_page(upserts(*(customer(n) for n in range(200))), "1", False, frozenset(),
                     time.time()).result()
    store.enqueue("order", {"notes": f"deliver to {NAME}"}, "c1", time.time()).result()
    # While open (WAL and SHM present) and after closing, no file holds the name.
    for file in _files(store.path):
        assert NAME.encode() not in file.read_bytes(), file
    store.close()
    assert store.path.stat().st_size > 0
    for file in _files(store.path):
        assert NAME.encode() not in file.read_bytes(), file
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(store.path).execute("SELECT * FROM customers").fetchall()
    reopened = CacheStore(store.path, key)
    try:
        assert len(reopened.find("+40721000007").result()) == 1
    finally:
        reopened.close()


def test_a_file_the_key_cannot_open_is_set_aside(tmp_path: Path, store: CacheStore) -> None:
    store.enqueue("order", {}, "c1", time.time()).result()
    store.close()
    other = CacheStore(store.path, CacheKey(new_key_hex()))
    try:
        assert other.outbox().result() == []
    finally:
        other.close()
    aside = [p for p in tmp_path.iterdir() if ASIDE_MARK in p.name]
    assert aside, "the unreadable file must be kept aside, not deleted"


def test_key_is_created_once_in_the_keyring() -> None:
    secrets = SecretStore(service=f"softphone-test-{uuid.uuid4().hex[:8]}")
    if not secrets.available():
        pytest.skip("no keyring in this environment")
    try:
        first = load_key(secrets)
        assert not first.disposable
        assert secrets.get(CACHE_KEY) == first.hex
        assert load_key(secrets) == first
    finally:
        secrets.delete(CACHE_KEY)


def test_no_keyring_gives_a_disposable_key(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        key = load_key(SecretStore())
    finally:
        keyring.set_keyring(previous)
    assert key.disposable
    assert len(key.hex) == 64
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"an old cache made with the keyring's key")
    cache = CacheStore(path, key)
    cache.ready(10)
    cache.apply_page(upserts(customer(1)), "1", False, frozenset(), time.time()).result()
    for file in _files(path):
        assert NAME.encode() not in file.read_bytes()
    cache.close()
    assert not path.exists(), "a disposable cache is removed when closed"
    assert [p for p in tmp_path.iterdir() if ASIDE_MARK in p.name]


def test_changes_tombstones_and_cursor(store: CacheStore) -> None:
    store.start_walk(time.time()).result()
    store.apply_page(upserts(customer(1), customer(2)), "2", True, frozenset(),
                     time.time()).result()
    position = store.position().result()
    assert (position.walk_cursor, position.cursor) == ("2", None)
    moved = customer(1, phones=["+40721999999"])
    result = store.apply_page([*upserts(moved), Change(id="c2", deleted=True)], "4", False,
                              frozenset(), time.time()).result()
    assert (result.changed, result.deleted) == (1, 1)
    position = store.position().result()
    assert (position.walk_cursor, position.cursor) == (None, "4")
    assert position.last_full_walk is not None
    assert store.find("+40721000001").result() == []
    assert [c.id for c in store.find("+40721999999").result()] == ["c1"]
    assert store.customer_ids().result() == {"c1"}


def test_regions_and_retention(store: CacheStore) -> None:
    regions = parse_regions(" North, east ")
    old = time.time() - 40 * 86400
    store.apply_page(upserts(customer(1, "north"), customer(2, "South"), customer(3, "East")),
                     "1", False, regions, old).result()
    assert store.customer_ids().result() == {"c1", "c3"}
    store.apply_page(upserts(customer(3, "East")), "2", False, regions, time.time()).result()
    # c1 was not confirmed for 40 days: gone with a 30-day retention.
    assert store.purge(time.time() - 30 * 86400, regions).result() == 1
    assert store.customer_ids().result() == {"c3"}
    # A narrower scope drops customers cached under the old one.
    assert store.purge(0, parse_regions("north")).result() == 1
    assert store.counts().result().customers == 0


def test_outbox_is_fifo_and_keeps_every_record(store: CacheStore) -> None:
    items = [store.enqueue("order", {"n": n}, "c1", time.time()).result() for n in range(3)]
    assert len({item.idempotency_key for item in items}) == 3
    assert store.next_queued().result() == items[0]
    store.mark_needs_attention(items[0].id, "Unknown product").result()
    assert store.next_queued().result() == items[1]
    store.mark_sent(items[1].id, "o-9", "2026-0009", time.time()).result()
    store.record_attempt(items[2].id, "CRM unreachable").result()
    outbox = store.outbox().result()
    assert [(i.status, i.attempts) for i in outbox] == [(NEEDS_ATTENTION, 1), (SENT, 1),
                                                        (QUEUED, 1)]
    assert outbox[0].message == "Unknown product"
    assert (outbox[1].server_id, outbox[1].server_number) == ("o-9", "2026-0009")
    counts = store.counts().result()
    assert (counts.outbox_waiting, counts.outbox_needs_attention) == (1, 1)


def test_wipe_removes_everything(store: CacheStore) -> None:
    store.apply_page(upserts(*(customer(n) for n in range(50))), "1", False, frozenset(),
                     time.time()).result()
    store.enqueue("order", {}, "c1", time.time()).result()
    store.wipe().result()
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    counts = store.counts().result()
    assert (counts.customers, counts.outbox_waiting) == (0, 0)
    assert store.position().result().cursor is None
