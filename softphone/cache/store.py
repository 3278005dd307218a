"""The customer cache and the outbox, behind the cache's one database worker thread.

Every method may be called from any thread: it hands the work to the worker and returns a
``Future``. Each method is one transaction, so a page of changes and the feed position
after it are committed together, and a queued record is durable once its future is done.

Retention: a customer is kept only when its region is in ``regions`` (empty: all), and
only while the CRM keeps confirming it. The change feed confirms a customer each time it
changes, and the sync walks the whole feed again once a day (``SyncRunner``), which
confirms every customer the CRM still has; a customer unconfirmed for the retention period
is purged. Imports no Qt.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from softphone.cache.files import CacheKey, delete_cache_files, open_encrypted
from softphone.cache.models import (
    CacheBase,
    CallHistoryRow,
    CustomerPhoneRow,
    CustomerRecentRow,
    CustomerRow,
    OrderDraftRow,
    OutboxRow,
    PriceListsRow,
    ProductRow,
    SyncStateRow,
    UsualForTypeRow,
)
from softphone.crm.schema import (
    CallLog,
    Change,
    Customer,
    CustomerType,
    Order,
    PriceLists,
    Product,
    UsualForType,
)
from softphone.storage.database import DatabaseWorker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

T = TypeVar("T")

QUEUED = "queued"
SENT = "sent"
NEEDS_ATTENTION = "needs_attention"


@dataclass(frozen=True)
class FeedPosition:
    """Where the sync stands in the CRM's change feed."""

    cursor: str | None
    walk_cursor: str | None
    walk_started_at: float | None
    last_full_walk: float | None
    last_success: float | None
    products_etag: str | None
    price_lists_etag: str | None
    usual_for_type_etag: str | None = None


@dataclass(frozen=True)
class PageResult:
    changed: int
    deleted: int


@dataclass(frozen=True)
class OutboxItem:
    """A record for the CRM as the agent sees it."""

    id: int
    kind: str  # "order" | "call_log" | "lead"
    idempotency_key: str
    status: str  # "queued" | "sent" | "needs_attention"
    customer_id: str
    created_at: float
    attempts: int
    sent_at: float | None
    server_id: str | None
    server_number: str | None
    message: str
    body: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "idempotency_key": self.idempotency_key,
            "status": self.status, "customer_id": self.customer_id,
            "created_at": self.created_at, "attempts": self.attempts, "sent_at": self.sent_at,
            "server_id": self.server_id, "server_number": self.server_number,
            "message": self.message,
        }


@dataclass(frozen=True)
class Recent:
    """A customer's last orders and calls (newest first) as fetched from the CRM."""

    customer_id: str
    orders: list[Order]
    calls: list[CallLog]
    fetched_at: float


@dataclass(frozen=True)
class CachedMatches:
    """What the cache knows about a phone number, for the screen-pop."""

    customers: list[Customer]
    # The oldest time the CRM sent one of ``customers`` (None when there are none).
    confirmed_at: float | None
    # The last sync that reached its end: the cache was current then.
    last_success: float | None
    recent: dict[str, Recent]


@dataclass(frozen=True)
class Draft:
    draft_id: str
    customer_id: str
    data: str  # JSON text, as the order form saved it
    updated_at: float


@dataclass(frozen=True)
class CallRecord:
    """A call made or taken since a given time, for the outbound list: a call history
    entry (``result`` set) or a call log in the outbox (``disposition`` set)."""

    call_id: str
    customer_id: str  # the call log's customer; "" for a history entry
    number: str  # as dialled or as the caller's number arrived
    direction: str  # "incoming" | "outgoing"
    started_at: float
    result: str  # the history's outcome ("answered", "no answer"...); "" for a call log
    disposition: str  # the wrap-up's outcome; "" for a history entry


def _history_record(row: CallHistoryRow) -> CallRecord:
    return CallRecord(call_id=row.call_id, customer_id="", number=row.number or row.uri,
                      direction=row.direction, started_at=row.started_at,
                      result=row.outcome, disposition="")


def _call_log_record(row: OutboxRow) -> CallRecord | None:
    """The call log in ``row`` as a record; None when its body is not one we can read."""
    body: dict[str, Any] = json.loads(row.body)
    try:
        started = datetime.fromisoformat(str(body["started_at"])).timestamp()
    except (KeyError, ValueError):
        return None
    return CallRecord(
        call_id=str(body.get("call_id") or ""), customer_id=row.customer_id,
        number=str(body.get("phone") or ""),
        direction="incoming" if body.get("direction") == "inbound" else "outgoing",
        started_at=started, result="", disposition=str(body.get("disposition") or ""))


def calls_in_session(session: Session, since: float) -> list[CallRecord]:
    """Worker thread: history entries and queued or sent call logs of calls started at or
    after ``since``, oldest first."""
    records = [_history_record(row) for row in session.scalars(
        select(CallHistoryRow).where(CallHistoryRow.started_at >= since))]
    # A call log is written after its call: one created before ``since`` is older.
    for row in session.scalars(select(OutboxRow).where(OutboxRow.kind == "call_log",
                                                       OutboxRow.created_at >= since)):
        record = _call_log_record(row)
        if record is not None and record.started_at >= since:
            records.append(record)
    return sorted(records, key=lambda record: record.started_at)


def dormant_in_session(session: Session, before: datetime, limit: int) -> list[Customer]:
    """Worker thread: see ``CacheStore.dormant_customers``."""
    rows = session.scalars(
        select(CustomerRow.data)
        .where(CustomerRow.type != CustomerType.NEW.value,
               (CustomerRow.last_order_at < before.timestamp())
               | CustomerRow.last_order_at.is_(None))
        .order_by(CustomerRow.last_order_at.asc().nulls_first(), CustomerRow.id)
        .limit(limit))
    return [Customer.model_validate_json(data) for data in rows]


@dataclass(frozen=True)
class CacheCounts:
    customers: int
    outbox_waiting: int
    outbox_needs_attention: int


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id, kind=row.kind, idempotency_key=row.idempotency_key, status=row.status,
        customer_id=row.customer_id, created_at=row.created_at, attempts=row.attempts,
        sent_at=row.sent_at, server_id=row.server_id, server_number=row.server_number,
        message=row.message, body=json.loads(row.body),
    )


def _state_row(session: Session) -> SyncStateRow:
    row = session.get(SyncStateRow, 1)
    if row is None:
        row = SyncStateRow(id=1)
        session.add(row)
        session.flush()
    return row


def _region_kept(customer: Customer, regions: frozenset[str]) -> bool:
    return not regions or customer.region.strip().casefold() in regions


def parse_regions(setting: str) -> frozenset[str]:
    """``cache.regions`` ("north, South") as a set of case-folded names. Any thread."""
    return frozenset(part.strip().casefold() for part in setting.split(",") if part.strip())


def _delete_customers(session: Session, ids: Sequence[str], keep_recent: bool = False) -> None:
    if ids:
        session.execute(delete(CustomerPhoneRow).where(CustomerPhoneRow.customer_id.in_(ids)))
        session.execute(delete(CustomerRow).where(CustomerRow.id.in_(ids)))
        if not keep_recent:
            session.execute(delete(CustomerRecentRow)
                            .where(CustomerRecentRow.customer_id.in_(ids)))


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _write_customers(session: Session, customers: Sequence[Customer], now: float) -> None:
    if not customers:
        return
    _delete_customers(session, [c.id for c in customers], keep_recent=True)
    session.execute(insert(CustomerRow), [
        {"id": c.id, "region": c.region, "confirmed_at": now, "type": c.type.value,
         "last_order_at": _epoch(c.last_order_at), "data": c.model_dump_json()}
        for c in customers
    ])
    phones = {(phone, c.id) for c in customers for phone in c.phones}
    if phones:
        session.execute(insert(CustomerPhoneRow),
                        [{"phone": phone, "customer_id": cid} for phone, cid in phones])


def find_in_session(session: Session, e164: str) -> list[Customer]:
    """Worker thread: customers having the phone number ``e164``."""
    rows = session.scalars(
        select(CustomerRow.data)
        .join(CustomerPhoneRow, CustomerPhoneRow.customer_id == CustomerRow.id)
        .where(CustomerPhoneRow.phone == e164)
        .order_by(CustomerRow.id)
    )
    return [Customer.model_validate_json(data) for data in rows]


def _recent(row: CustomerRecentRow) -> Recent:
    return Recent(
        customer_id=row.customer_id,
        orders=[Order.model_validate(order) for order in json.loads(row.orders)],
        calls=[CallLog.model_validate(call) for call in json.loads(row.calls)],
        fetched_at=row.fetched_at)


def matches_in_session(session: Session, e164: str) -> CachedMatches:
    """Worker thread: the customers having ``e164``, with their recent records."""
    customers = find_in_session(session, e164)
    ids = [customer.id for customer in customers]
    confirmed = session.scalar(select(func.min(CustomerRow.confirmed_at))
                               .where(CustomerRow.id.in_(ids))) if ids else None
    recent = {row.customer_id: _recent(row) for row in session.scalars(
        select(CustomerRecentRow).where(CustomerRecentRow.customer_id.in_(ids)))} if ids else {}
    state = session.get(SyncStateRow, 1)
    return CachedMatches(customers, confirmed, state.last_success if state else None, recent)


def _dump_list(documents: Sequence[Order] | Sequence[CallLog]) -> str:
    return json.dumps([document.model_dump(mode="json") for document in documents])


class CacheStore:
    """The cache file and its worker thread. Methods: any thread."""

    def __init__(self, path: Path, key: CacheKey | Callable[[], CacheKey]) -> None:
        """``key`` may be a function that loads it: it then runs on the worker thread, so a
        slow keyring never blocks the caller."""
        self.path = path
        self._load_key = key if callable(key) else (lambda: key)
        self.key = CacheKey()
        self._engine: Engine | None = None
        self._worker = DatabaseWorker(
            path,
            engine_factory=self._open,
            migrations_dir=MIGRATIONS_DIR,
            thread_name="cache",
        )

    def _open(self, path: Path) -> Engine:
        """Worker thread: load the key, then open the encrypted file."""
        self.key = self._load_key()
        self._engine = open_encrypted(path, self.key)
        return self._engine

    @property
    def disposable(self) -> bool:
        return self.key.disposable

    def ready(self, timeout: float | None = None) -> None:
        """Block until the file is open and migrated; raise what opening raised."""
        self._worker.ready.result(timeout)

    def close(self) -> None:
        """Finish queued work and close the file; a disposable cache is deleted."""
        self._worker.close()  # the worker's thread is done with the file after this
        if self.key.disposable:
            delete_cache_files(self.path, aside=False)

    # ------------------------------------------------------------------ feed

    def position(self) -> Future[FeedPosition]:
        def work(session: Session) -> FeedPosition:
            row = _state_row(session)
            return FeedPosition(row.cursor, row.walk_cursor, row.walk_started_at,
                                row.last_full_walk, row.last_success, row.products_etag,
                                row.price_lists_etag, row.usual_for_type_etag)

        return self._worker.submit(work)

    def start_walk(self, now: float) -> Future[None]:
        """Begin a full walk of the feed from its start (the first sync, or the daily one)."""
        def work(session: Session) -> None:
            row = _state_row(session)
            row.walk_cursor = "0"
            row.walk_started_at = now

        return self._worker.submit(work)

    def apply_page(self, changes: Sequence[Change], next_cursor: str, has_more: bool,
                   regions: frozenset[str], now: float) -> Future[PageResult]:
        """Apply one page and move the feed position past it, in one transaction.

        In a walk the page moves the walk's position; once the walk reaches the end, its
        position becomes the incremental cursor.
        """
        def work(session: Session) -> PageResult:
            latest: dict[str, Change] = {}
            for change in changes:  # a page may name a customer twice: the last one wins
                latest[change.id] = change
            kept = [c.customer for c in latest.values()
                    if not c.deleted and c.customer is not None
                    and _region_kept(c.customer, regions)]
            dropped = [cid for cid, c in latest.items()
                       if c.deleted or c.customer is None or not _region_kept(c.customer, regions)]
            _delete_customers(session, dropped)
            _write_customers(session, kept, now)
            row = _state_row(session)
            if row.walk_cursor is not None:
                if has_more:
                    row.walk_cursor = next_cursor
                else:
                    row.walk_cursor = None
                    row.cursor = next_cursor
                    row.last_full_walk = row.walk_started_at
            else:
                row.cursor = next_cursor
            return PageResult(changed=len(kept),
                              deleted=sum(1 for c in latest.values() if c.deleted))

        return self._worker.submit(work)

    def mark_success(self, now: float) -> Future[None]:
        def work(session: Session) -> None:
            _state_row(session).last_success = now

        return self._worker.submit(work)

    def purge(self, confirmed_before: float, regions: frozenset[str]) -> Future[int]:
        """Drop customers unconfirmed since ``confirmed_before`` or out of ``regions``."""
        def work(session: Session) -> int:
            stale = list(session.scalars(
                select(CustomerRow.id).where(CustomerRow.confirmed_at < confirmed_before)))
            if regions:
                stale += session.scalars(select(CustomerRow.id).where(
                    func.lower(func.trim(CustomerRow.region)).not_in(regions)))
            for start in range(0, len(stale), 500):
                _delete_customers(session, stale[start:start + 500])
            return len(set(stale))

        return self._worker.submit(work)

    def store_products(self, products: Iterable[Product], etag: str | None) -> Future[int]:
        """Replace the product catalogue."""
        rows = [{"sku": p.sku, "data": p.model_dump_json()} for p in products]

        def work(session: Session) -> int:
            session.execute(delete(ProductRow))
            if rows:
                session.execute(insert(ProductRow), rows)
            _state_row(session).products_etag = etag
            return len(rows)

        return self._worker.submit(work)

    def store_price_lists(self, price_lists: PriceLists, etag: str | None) -> Future[None]:
        data = price_lists.model_dump_json()

        def work(session: Session) -> None:
            session.merge(PriceListsRow(id=1, data=data))
            _state_row(session).price_lists_etag = etag

        return self._worker.submit(work)

    def store_usual_for_type(self, usual: UsualForType | None,
                             etag: str | None) -> Future[bool]:
        """Replace the SKUs usual for each customer type; None: the CRM knows none.
        Whether the cache changed (forgetting what was never known changes nothing)."""
        data = None if usual is None else usual.model_dump_json()

        def work(session: Session) -> bool:
            state = _state_row(session)
            if data is None:
                known = session.get(UsualForTypeRow, 1)
                if known is not None:
                    session.delete(known)
                changed = known is not None or state.usual_for_type_etag is not None
            else:
                session.merge(UsualForTypeRow(id=1, data=data))
                changed = True
            state.usual_for_type_etag = etag
            return changed

        return self._worker.submit(work)

    # ------------------------------------------------------------------ reads

    def find(self, e164: str) -> Future[list[Customer]]:
        """Customers having the phone number ``e164``."""
        return self._worker.submit(lambda session: find_in_session(session, e164))

    def find_with_recent(self, e164: str) -> Future[CachedMatches]:
        """Customers having ``e164``, how fresh they are, and their recent records."""
        return self._worker.submit(lambda session: matches_in_session(session, e164))

    def store_fetched(self, customers: Sequence[Customer],
                      recent: Mapping[str, tuple[Sequence[Order], Sequence[CallLog]]],
                      regions: frozenset[str], now: float) -> Future[int]:
        """Keep what the CRM just sent for a call: the customers (those ``regions`` allow)
        and, for each of them in ``recent``, its last orders and calls. Returns how many
        customers were kept."""
        kept = [customer for customer in customers if _region_kept(customer, regions)]
        rows = [{"customer_id": customer.id, "orders": _dump_list(recent[customer.id][0]),
                 "calls": _dump_list(recent[customer.id][1]), "fetched_at": now}
                for customer in kept if customer.id in recent]

        def work(session: Session) -> int:
            _write_customers(session, kept, now)
            if rows:
                session.execute(delete(CustomerRecentRow).where(
                    CustomerRecentRow.customer_id.in_([row["customer_id"] for row in rows])))
                session.execute(insert(CustomerRecentRow), rows)
            return len(kept)

        return self._worker.submit(work)

    def recent(self, customer_id: str) -> Future[Recent | None]:
        """The last orders and calls of ``customer_id`` fetched from the CRM, if any."""
        def work(session: Session) -> Recent | None:
            row = session.get(CustomerRecentRow, customer_id)
            return None if row is None else _recent(row)

        return self._worker.submit(work)

    def dormant_customers(self, before: datetime, limit: int) -> Future[list[Customer]]:
        """Customers with no order since ``before`` (or none known), longest quiet first.

        New customers (type "new") are left out: they are first-time callers waiting for
        the department head to assign a manager, not customers who stopped ordering.
        """
        return self._worker.submit(lambda session: dormant_in_session(session, before, limit))

    def dormant_with_calls(self, before: datetime, limit: int, since: float
                           ) -> Future[tuple[list[Customer], list[CallRecord]]]:
        """The dormant customers (as ``dormant_customers``) and, read in the same
        transaction, the calls started since ``since`` (``calls_in_session``)."""
        def work(session: Session) -> tuple[list[Customer], list[CallRecord]]:
            return dormant_in_session(session, before, limit), calls_in_session(session, since)

        return self._worker.submit(work)

    # ------------------------------------------------------------------ drafts

    def save_draft(self, draft_id: str, customer_id: str, data: str,
                   now: float) -> Future[None]:
        """Save (or replace) an order draft; durable once done."""
        def work(session: Session) -> None:
            session.merge(OrderDraftRow(draft_id=draft_id, customer_id=customer_id, data=data,
                                        updated_at=now))

        return self._worker.submit(work)

    def load_drafts(self) -> Future[list[Draft]]:
        """Every saved draft, the most recently saved first."""
        def work(session: Session) -> list[Draft]:
            rows = session.scalars(select(OrderDraftRow)
                                   .order_by(OrderDraftRow.updated_at.desc()))
            return [Draft(row.draft_id, row.customer_id, row.data, row.updated_at)
                    for row in rows]

        return self._worker.submit(work)

    def delete_draft(self, draft_id: str) -> Future[None]:
        def work(session: Session) -> None:
            session.execute(delete(OrderDraftRow).where(OrderDraftRow.draft_id == draft_id))

        return self._worker.submit(work)

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Run ``work(session)`` on the cache's worker (for tools and benchmarks)."""
        return self._worker.submit(work)

    def products(self) -> Future[list[Product]]:
        def work(session: Session) -> list[Product]:
            rows = session.scalars(select(ProductRow.data).order_by(ProductRow.sku))
            return [Product.model_validate_json(data) for data in rows]

        return self._worker.submit(work)

    def price_lists(self) -> Future[PriceLists | None]:
        def work(session: Session) -> PriceLists | None:
            row = session.get(PriceListsRow, 1)
            return None if row is None else PriceLists.model_validate_json(row.data)

        return self._worker.submit(work)

    def usual_for_type(self) -> Future[dict[CustomerType, list[str]]]:
        """The SKUs usual for each customer type, most usual first; empty when none known."""
        def work(session: Session) -> dict[CustomerType, list[str]]:
            row = session.get(UsualForTypeRow, 1)
            if row is None:
                return {}
            return dict(UsualForType.model_validate_json(row.data).skus)

        return self._worker.submit(work)

    def customer_ids(self) -> Future[set[str]]:
        def work(session: Session) -> set[str]:
            return set(session.scalars(select(CustomerRow.id)))

        return self._worker.submit(work)

    def counts(self) -> Future[CacheCounts]:
        def work(session: Session) -> CacheCounts:
            customers = session.scalar(select(func.count()).select_from(CustomerRow)) or 0
            by_status: dict[str, int] = {
                status: count for status, count in session.execute(
                    select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
            }
            return CacheCounts(customers, by_status.get(QUEUED, 0),
                               by_status.get(NEEDS_ATTENTION, 0))

        return self._worker.submit(work)

    # ------------------------------------------------------------------ outbox

    def enqueue(self, kind: str, body: dict[str, Any], customer_id: str,
                now: float) -> Future[OutboxItem]:
        """Save a record for the CRM with a fresh idempotency key; durable once done."""
        def work(session: Session) -> OutboxItem:
            row = OutboxRow(kind=kind, idempotency_key=str(uuid.uuid4()),
                            body=json.dumps(body, sort_keys=True), customer_id=customer_id,
                            status=QUEUED, created_at=now, attempts=0, message="")
            session.add(row)
            session.flush()
            return _item(row)

        return self._worker.submit(work)

    def next_queued(self) -> Future[OutboxItem | None]:
        """The oldest record still to send."""
        def work(session: Session) -> OutboxItem | None:
            row = session.scalars(select(OutboxRow).where(OutboxRow.status == QUEUED)
                                  .order_by(OutboxRow.id).limit(1)).first()
            return None if row is None else _item(row)

        return self._worker.submit(work)

    def outbox(self) -> Future[list[OutboxItem]]:
        def work(session: Session) -> list[OutboxItem]:
            return [_item(row) for row in session.scalars(select(OutboxRow)
                                                          .order_by(OutboxRow.id))]

        return self._worker.submit(work)

    def record_attempt(self, item_id: int, message: str) -> Future[None]:
        def work(session: Session) -> None:
            session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(
                attempts=OutboxRow.attempts + 1, message=message))

        return self._worker.submit(work)

    def mark_sent(self, item_id: int, server_id: str | None, server_number: str | None,
                  now: float, message: str = "") -> Future[None]:
        """The CRM has the record; ``server_id`` is None when its answer could not be read
        (``message`` then says so)."""
        def work(session: Session) -> None:
            session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(
                status=SENT, attempts=OutboxRow.attempts + 1, sent_at=now,
                server_id=server_id, server_number=server_number, message=message))

        return self._worker.submit(work)

    def prune_sent(self, sent_before: float) -> Future[int]:
        """Delete the records the CRM has had since before ``sent_before``; queued and
        refused ones stay whatever their age. Returns how many were deleted.

        A record is sent after it is made, so every record made at or after
        ``sent_before`` stays (``calls_in_session`` reads call logs by when they were made).
        """
        def work(session: Session) -> int:
            sent_at = func.coalesce(OutboxRow.sent_at, OutboxRow.created_at)
            old = (OutboxRow.status == SENT) & (sent_at < sent_before)
            count = session.scalar(select(func.count()).select_from(OutboxRow).where(old))
            if count:
                session.execute(delete(OutboxRow).where(old))
            return count or 0

        return self._worker.submit(work)

    def mark_needs_attention(self, item_id: int, message: str) -> Future[None]:
        def work(session: Session) -> None:
            session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(
                status=NEEDS_ATTENTION, attempts=OutboxRow.attempts + 1, message=message))

        return self._worker.submit(work)

    # ------------------------------------------------------------------ wipe

    def wipe(self) -> Future[None]:
        """Remove every customer, product, price and outbox record, and the feed position.

        The freed pages are rewritten (VACUUM) and the WAL truncated, so nothing of the old
        data is left in the files (which were encrypted in any case).
        """
        def clear(session: Session) -> None:
            for table in reversed(CacheBase.metadata.sorted_tables):
                session.execute(delete(table))

        cleared = self._worker.submit(clear)

        def compact() -> None:
            cleared.result()  # done: the worker runs jobs in order
            assert self._engine is not None
            with self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM")
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

        return self._worker.call(compact)
