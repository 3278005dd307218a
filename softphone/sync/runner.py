"""One sync pass: send the outbox, follow the change feed, refresh products and prices,
purge what retention no longer allows (customers, and records the CRM has long had).
Blocking; runs on the sync worker thread (or the main thread of ``softphone sync
--once``); every database step goes through the cache's own worker. Imports no Qt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from softphone.cache.store import CacheStore, FeedPosition, OutboxItem, parse_regions
from softphone.crm.client import (
    CrmBadResponse,
    CrmClient,
    CrmError,
    CrmRejected,
    CrmUnreadableAcceptance,
)
from softphone.crm.schema import MAX_PAGE_SIZE, CallLogCreate, CustomerLead, OrderCreate

log = logging.getLogger(__name__)

DAY = 86_400.0
# A full walk of the feed confirms every customer the CRM still has (see CacheStore).
REWALK_SECONDS = DAY
# Sent records stay at least this long whatever ``cache.retention_days`` says: the
# outbound list reads today's call logs (``calls_in_session``), and a local day lasts up
# to 25 hours when the clocks change.
MIN_SENT_KEEP_DAYS = 2
# What a sent record whose answer could not be read says to the agent.
UNREAD_ANSWER = "The CRM accepted it, but its answer could not be read (no number)"


@dataclass(frozen=True)
class SyncOptions:
    regions: frozenset[str] = frozenset()
    retention_days: int = 30
    page_size: int = MAX_PAGE_SIZE

    @classmethod
    def from_settings(cls, regions: str, retention_days: int) -> SyncOptions:
        return cls(parse_regions(regions), retention_days)


@dataclass
class SyncSummary:
    customers_changed: int = 0
    customers_deleted: int = 0
    customers_purged: int = 0
    full_walk: bool = False
    products: int | None = None  # None: unchanged since the last download
    price_lists_updated: bool = False
    usual_for_type_updated: bool = False
    outbox_sent: int = 0
    outbox_failed: int = 0
    outbox_pruned: int = 0
    cursor: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def sent_kept_after(now: float, retention_days: int) -> float:
    """The moment before which sent records are deleted. Any thread.

    Sent records are read by the Orders tab (what the agent recorded, with the CRM's
    numbers) and by the outbound list (today's call logs). They hold customer data the
    CRM already has, so they are kept as long as ``cache.retention_days`` keeps customers
    the CRM no longer confirms, and never less than ``MIN_SENT_KEEP_DAYS``.
    """
    return now - max(retention_days, MIN_SENT_KEEP_DAYS) * DAY


def plain_head(head: bytes) -> str:
    """The first bytes of an answer as one line of plain text, for the log: characters
    that are not printable are written as escapes. Any thread."""
    text = head.decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def rejection_message(exc: CrmRejected) -> str:
    """The server's reason, with each named field, as the agent will read it. Any thread."""
    fields = "; ".join(f"{name}: {problem}" for name, problem in exc.body.fields.items())
    return f"{exc.body.message} ({fields})" if fields else exc.body.message


Outgoing = OrderCreate | CallLogCreate | CustomerLead
_KINDS: dict[str, type[Outgoing]] = {
    "order": OrderCreate, "call_log": CallLogCreate, "lead": CustomerLead}


def _document(item: OutboxItem) -> Outgoing:
    model = _KINDS.get(item.kind)
    if model is None:
        raise ValueError(f"unknown kind of record {item.kind!r}")
    return model.model_validate(item.body)


class SyncRunner:
    """Runs passes against one client and one cache. Sync thread."""

    def __init__(self, client: CrmClient, cache: CacheStore, options: SyncOptions,
                 should_stop: Callable[[], bool] = lambda: False,
                 progress: Callable[[str], None] = lambda _message: None) -> None:
        self.client = client
        self.cache = cache
        self.options = options
        self._should_stop = should_stop
        self._progress = progress

    def run_once(self) -> SyncSummary:
        """Outbox first (the agent's records matter most), then the downloads."""
        summary = SyncSummary()
        self.flush_outbox(summary)
        self.follow_feed(summary)
        self.refresh_catalogue(summary)
        now = time.time()
        summary.customers_purged = self.cache.purge(
            now - self.options.retention_days * DAY, self.options.regions).result()
        summary.outbox_pruned = self.cache.prune_sent(
            sent_kept_after(now, self.options.retention_days)).result()
        self.cache.mark_success(now).result()
        return summary

    # ------------------------------------------------------------------ outbox

    def flush_outbox(self, summary: SyncSummary) -> None:
        """Send queued records oldest first. A refused record is set aside for the agent
        and the next one goes; a network failure stops here (raised) to keep the order."""
        while not self._should_stop():
            item = self.cache.next_queued().result()
            if item is None:
                return
            try:
                document = _document(item)
            except ValueError as exc:  # pydantic's ValidationError is one too
                reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
                message = f"the record is not valid: {reason}"
                self.cache.mark_needs_attention(item.id, message).result()
                summary.outbox_failed += 1
                continue
            try:
                server_id, number = self._send(item.idempotency_key, document)
            except CrmRejected as exc:
                # The status and the CRM's code: its message may quote the record.
                log.warning("The CRM refused outbox item %s: %s %s", item.id, exc.status,
                            exc.body.code)
                self.cache.mark_needs_attention(item.id, rejection_message(exc)).result()
                summary.outbox_failed += 1
                continue
            except Exception as exc:
                if isinstance(exc, CrmUnreadableAcceptance) and self._is_the_crm():
                    self._accepted_unread(item, exc)
                    summary.outbox_sent += 1
                    continue
                # Unsure whether it arrived: it stays queued and goes again with its key.
                self.cache.record_attempt(item.id, str(exc)).result()
                raise
            self.cache.mark_sent(item.id, server_id, number, time.time()).result()
            summary.outbox_sent += 1

    def _is_the_crm(self) -> bool:
        """Sync thread: whether the server answers as the CRM does (its health document
        reads), rather than a gateway or web server at ``crm.url`` answering anything with
        a page."""
        try:
            self.client.health()
        except CrmError:
            return False
        return True

    def _accepted_unread(self, item: OutboxItem, exc: CrmUnreadableAcceptance) -> None:
        """Sync thread: a write the CRM answered with a 2xx whose body cannot be read is
        marked sent.

        The 2xx says the CRM stored the record, and a replay with the same key gets the
        stored answer back byte for byte (API.md), so no retry could read it better: it
        would hold every record behind this one forever. Setting it aside as refused would
        be wrong too, inviting the agent to enter again an order the CRM has. Only its id
        and number are lost; the log names the record and how the answer began. The
        caller first checks that the CRM itself answered (``_is_the_crm``); otherwise the
        record stays queued.
        """
        # A JSON answer is the record, with the customer in it: only its kind is logged.
        head = ("a JSON document (not shown)" if exc.head.lstrip()[:1] in (b"{", b"[")
                else plain_head(exc.head) or "(nothing read)")
        log.warning("The CRM accepted outbox item %s (%s, key %s) with status %s, but its "
                    "answer cannot be read (%s); marked sent without the CRM's id. The "
                    "answer began: %s", item.id, item.kind, item.idempotency_key, exc.status,
                    exc, head)
        self.cache.mark_sent(item.id, None, None, time.time(), UNREAD_ANSWER).result()

    def _send(self, key: str, document: Outgoing) -> tuple[str, str | None]:
        """POST one record with its own idempotency key: a replay after a lost answer gets
        the first answer back instead of a second record."""
        if isinstance(document, OrderCreate):
            order = self.client.create_order(key, document)
            return order.id, order.number
        if isinstance(document, CustomerLead):
            return self.client.create_lead(key, document).id, None
        call_log = self.client.create_call_log(key, document)
        return call_log.id, None

    # ------------------------------------------------------------------ feed

    def follow_feed(self, summary: SyncSummary) -> None:
        """Page through the change feed from where the last pass stopped, committing each
        page with the position after it, so a pass cut short resumes with nothing lost."""
        position = self.cache.position().result()
        now = time.time()
        cursor = position.walk_cursor
        if cursor is None and (position.cursor is None or position.last_full_walk is None
                               or now - position.last_full_walk > REWALK_SECONDS):
            self.cache.start_walk(now).result()
            cursor = "0"
        walking = cursor is not None
        summary.full_walk = walking
        cursor = cursor if walking else position.cursor
        while not self._should_stop():
            page = self.client.changes(cursor, self.options.page_size)
            if page.has_more and page.next_cursor == cursor:
                raise CrmBadResponse("the CRM's change feed does not advance")
            result = self.cache.apply_page(page.changes, page.next_cursor, page.has_more,
                                           self.options.regions, time.time()).result()
            summary.customers_changed += result.changed
            summary.customers_deleted += result.deleted
            cursor = page.next_cursor
            summary.cursor = cursor
            if not page.has_more:
                return
            self._progress(f"Downloading customers: {summary.customers_changed:,} so far")

    def refresh_catalogue(self, summary: SyncSummary) -> None:
        """Products, price lists and the SKUs usual for each customer type, each downloaded
        only when its ETag changed."""
        position = self.cache.position().result()
        catalogue, etag = self.client.products(position.products_etag)
        if catalogue is not None:
            summary.products = self.cache.store_products(catalogue.products, etag).result()
        price_lists, etag = self.client.price_lists(position.price_lists_etag)
        if price_lists is not None:
            self.cache.store_price_lists(price_lists, etag).result()
            summary.price_lists_updated = True
        self._refresh_usual_for_type(summary, position)

    def _refresh_usual_for_type(self, summary: SyncSummary, position: FeedPosition) -> None:
        """Sync thread: the SKUs usual for each customer type. A CRM older than that
        endpoint answers 404: then none are known, and the pass goes on."""
        try:
            usual, etag = self.client.usual_for_type(position.usual_for_type_etag)
        except CrmRejected as exc:
            if exc.status != 404:
                raise
            log.debug("The CRM offers no products usual per customer type (404)")
            forgotten = self.cache.store_usual_for_type(None, None).result()
            summary.usual_for_type_updated = forgotten
            return
        if usual is not None:  # None: unchanged since the last download
            self.cache.store_usual_for_type(usual, etag).result()
            summary.usual_for_type_updated = True
