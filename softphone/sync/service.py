"""The sync service the app runs: a worker thread that keeps the cache in step with the
CRM and sends the outbox, and a thread-safe view of how that is going.

Threads: the caller's (usually the GUI's) for the public methods, which never block on
the network or the disk; the "sync" thread for every CRM request and for listeners; the
cache's database worker for every read and write of the cache file. Imports no Qt.
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from softphone.cache.files import load_key
from softphone.cache.store import (
    CachedMatches,
    CacheStore,
    CallRecord,
    Draft,
    OutboxItem,
    Recent,
    parse_regions,
)
from softphone.crm.client import CrmAuthFailed, CrmBadResponse, CrmClient, CrmUnavailable
from softphone.crm.schema import (
    CallLog,
    CallLogCreate,
    Customer,
    CustomerLead,
    Order,
    OrderCreate,
)
from softphone.errors import UserFacingError
from softphone.numbers import to_e164
from softphone.paths import Profile
from softphone.secrets import CRM_TOKEN, SecretStore
from softphone.settings import Settings
from softphone.sync.backoff import Backoff
from softphone.sync.runner import SyncOptions, SyncRunner, SyncSummary

log = logging.getLogger(__name__)

DISABLED = "disabled"
ONLINE = "online"
OFFLINE = "offline"
SYNCING = "syncing"
ERROR = "error"


@dataclass(frozen=True)
class SyncState:
    connection: str  # "disabled" | "online" | "offline" | "syncing" | "error"
    message: str  # plain words for the agent
    last_success: datetime | None = None
    outbox_waiting: int = 0
    outbox_needs_attention: int = 0
    customers_cached: int = 0
    cache_disposable: bool = False
    # When products, price lists or the products usual per customer type last changed in
    # the cache (None: not in this run).
    catalogue_updated: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "message": self.message,
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "outbox_waiting": self.outbox_waiting,
            "outbox_needs_attention": self.outbox_needs_attention,
            "customers_cached": self.customers_cached,
            "cache_disposable": self.cache_disposable,
        }


@dataclass(frozen=True)
class LastCall:
    """A dormant customer's latest call today, as the outbound list shows it."""

    started_at: float
    direction: str  # "incoming" | "outgoing"
    result: str  # the history's outcome ("answered", "no answer"...); "" if not known
    disposition: str  # the wrap-up's outcome; "" until the wrap-up is done


@dataclass(frozen=True)
class DormantCustomer:
    """A row of the outbound list: the customer and their latest call today, if any."""

    customer: Customer
    last_call: LastCall | None


class NotConfigured(UserFacingError):
    """No CRM address or no token: nothing to sync with."""


class SyncService:
    """Owns the cache and the sync thread of one profile."""

    def __init__(self, profile: Profile, settings: Settings, secrets: SecretStore,
                 cache: CacheStore | None = None) -> None:
        """``cache``: the app's open cache, which the caller then closes; without it the
        service opens (and at ``stop`` closes) the profile's own."""
        self._profile = profile
        self._settings = settings
        self._secrets = secrets
        self._owns_cache = cache is None
        self._lock = threading.Lock()
        self._state = SyncState(DISABLED if not settings["crm.url"] else OFFLINE, "Starting")
        self._listeners: list[Callable[[SyncState], None]] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._reset_backoff = threading.Event()
        self._thread: threading.Thread | None = None
        self._cache: CacheStore | None = cache
        self._token: str | None = None

    # ------------------------------------------------------------------ any thread

    @property
    def cache(self) -> CacheStore:
        """The cache, opened on first use (the key is loaded on its worker thread)."""
        with self._lock:
            if self._cache is None:
                self._cache = CacheStore(self._profile.cache_file,
                                         lambda: load_key(self._secrets))
            return self._cache

    def start(self) -> None:
        """Start the sync thread; returns at once."""
        if self._thread is not None:
            return
        self.cache  # noqa: B018 (starts opening the file now)
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sync thread (waiting up to ``timeout`` s) and close the cache."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("The sync thread is still busy with a request; closing anyway")
        if self._cache is not None and self._owns_cache:
            self._cache.close()

    def state(self) -> SyncState:
        with self._lock:
            return self._state

    def add_listener(self, callback: Callable[[SyncState], None]) -> None:
        """``callback(state)`` runs on the sync thread after every change."""
        with self._lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[SyncState], None]) -> None:
        """Stop calling ``callback``; one never added is ignored. Any thread."""
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def sync_now(self) -> None:
        """Sync at once, without waiting for the timer or a retry delay (e.g. on reconnect)."""
        self._reset_backoff.set()
        self._wake.set()

    def queue_order(self, order: OrderCreate) -> Future[OutboxItem]:
        return self._enqueue("order", order.model_dump(mode="json"), order.customer_id)

    def queue_call_log(self, call_log: CallLogCreate) -> Future[OutboxItem]:
        return self._enqueue("call_log", call_log.model_dump(mode="json"),
                             call_log.customer_id or "")

    def queue_lead(self, lead: CustomerLead) -> Future[OutboxItem]:
        """A first-time caller for the department head; the CRM gives it a customer id
        when it is sent (the item's ``server_id``)."""
        return self._enqueue("lead", lead.model_dump(mode="json"), "")

    def outbox(self) -> Future[list[OutboxItem]]:
        return self.cache.outbox()

    def recent_for_customer(self, customer_id: str) -> Future[Recent | None]:
        """The customer's last orders and calls as last fetched from the CRM, if ever."""
        return self.cache.recent(customer_id)

    def dormant(self, limit: int = 500, now: datetime | None = None
                ) -> Future[list[Customer]]:
        """Customers with no order for ``customers.dormant_months`` months (see
        ``CacheStore.dormant_customers``), longest quiet first."""
        months = int(self._settings["customers.dormant_months"])
        before = months_before(now or datetime.now(UTC), months)
        return self.cache.dormant_customers(before, limit)

    def dormant_list(self, limit: int = 500, now: datetime | None = None
                     ) -> Future[list[DormantCustomer]]:
        """The dormant customers (as ``dormant``), each with their latest call since the
        start of the local day of ``now``: from the call history, with the disposition
        of its call log in the outbox. Returns at once; the future completes on the
        cache's worker thread."""
        moment = now or datetime.now(UTC)
        months = int(self._settings["customers.dormant_months"])
        since = start_of_day(moment).timestamp()
        region = str(self._settings["calls.default_region"])
        result: Future[list[DormantCustomer]] = Future()

        def arrived(future: Future[tuple[list[Customer], list[CallRecord]]]) -> None:
            try:
                customers, calls = future.result()
                result.set_result(with_last_calls(customers, calls, region))
            except Exception as exc:
                result.set_exception(exc)

        self.cache.dormant_with_calls(months_before(moment, months), limit,
                                      since).add_done_callback(arrived)
        return result

    def save_draft(self, draft_id: str, customer_id: str, data: str) -> Future[None]:
        """Save the order form's draft (its own JSON text) in the encrypted cache."""
        return self.cache.save_draft(draft_id, customer_id, data, time.time())

    def load_drafts(self) -> Future[list[Draft]]:
        return self.cache.load_drafts()

    def delete_draft(self, draft_id: str) -> Future[None]:
        return self.cache.delete_draft(draft_id)

    def cached_matches(self, e164: str) -> Future[CachedMatches]:
        """What the cache knows of ``e164`` (an E.164 number) for the screen-pop."""
        return self.cache.find_with_recent(e164)

    def store_fetched(self, customers: Sequence[Customer],
                      recent: Mapping[str, tuple[Sequence[Order], Sequence[CallLog]]]
                      ) -> Future[int]:
        """Keep customers and recent records the screen-pop fetched from the CRM."""
        regions = parse_regions(str(self._settings["cache.regions"]))
        return self.cache.store_fetched(customers, recent, regions, time.time())

    def find_customers(self, phone: str) -> Future[list[Customer]]:
        """Customers in the local cache having ``phone``, written in any common shape."""
        e164 = to_e164(phone, str(self._settings["calls.default_region"]))
        if e164 is None:
            empty: Future[list[Customer]] = Future()
            empty.set_result([])
            return empty
        return self.cache.find(e164)

    def _enqueue(self, kind: str, body: dict[str, Any], customer_id: str) -> Future[OutboxItem]:
        future = self.cache.enqueue(kind, body, customer_id, time.time())
        future.add_done_callback(lambda _f: self._wake.set())  # send it now
        return future

    # ------------------------------------------------------------------ one pass

    def make_client(self, timeout: float | None = None) -> CrmClient:
        """A client with the current settings and token (``timeout`` replaces the setting's
        when shorter); raises ``NotConfigured``. Blocks on the keyring: not the GUI thread.
        """
        url = str(self._settings["crm.url"])
        if not url:
            raise NotConfigured("no CRM address is set (crm.url)")
        token = self._crm_token()
        if not token:
            raise NotConfigured("no CRM token is saved (softphone credentials set crm)")
        limit = float(self._settings["crm.timeout_seconds"])
        return CrmClient(url, token, timeout=min(limit, timeout or limit),
                         ca_file=str(self._settings["crm.ca_file"]))

    def _crm_token(self) -> str | None:
        """The token, read from the keyring once (a D-Bus call) and then remembered until
        the CRM refuses it; none saved yet is asked again next time."""
        with self._lock:
            token = self._token
        if token is None:
            token = self._secrets.get(CRM_TOKEN)
            with self._lock:
                self._token = token
        return token

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def make_runner(self, should_stop: Callable[[], bool] = lambda: False) -> SyncRunner:
        """A runner with the current settings and token; raises ``NotConfigured``."""
        client = self.make_client()
        options = SyncOptions.from_settings(str(self._settings["cache.regions"]),
                                            int(self._settings["cache.retention_days"]))
        return SyncRunner(client, self.cache, options, should_stop, self._progress)

    def run_once(self) -> SyncSummary:
        """One full pass on the calling thread (``softphone sync --once``); raises the
        client's errors."""
        self.cache.ready()
        runner = self.make_runner()
        try:
            return runner.run_once()
        finally:
            runner.client.close()

    # ------------------------------------------------------------------ sync thread

    def _run(self) -> None:
        """Sync thread: a pass, then wait for the timer, a retry delay or a wake-up."""
        try:
            self.cache.ready()
        except Exception as exc:
            log.exception("The customer cache cannot be opened")
            self._update(connection=ERROR, message=f"The local cache cannot be opened: {exc}")
            return
        last = self.cache.position().result().last_success
        self._update(cache_disposable=self.cache.disposable,
                     last_success=datetime.fromtimestamp(last, UTC) if last else None)
        backoff = Backoff()
        while not self._stopping.is_set():
            if self._reset_backoff.is_set():
                self._reset_backoff.clear()
                backoff.reset()
            delay = self._pass(backoff)
            self._wake.wait(delay)
            self._wake.clear()

    def _pass(self, backoff: Backoff) -> float:
        """Sync thread: one pass; returns seconds until the next one."""
        interval = float(self._settings["sync.interval_seconds"])
        self._refresh_counts()
        try:
            runner = self.make_runner(self._stopping.is_set)
        except NotConfigured as exc:
            connection = DISABLED if not self._settings["crm.url"] else ERROR
            self._update(connection=connection, message=_sentence(str(exc)))
            return interval
        self._update(connection=SYNCING, message="Syncing with the CRM")
        try:
            summary = runner.run_once()
        except CrmUnavailable as exc:
            delay = backoff.next_delay()
            log.info("CRM unavailable (%s); retrying in %.0f s", exc, delay)
            self._update(connection=OFFLINE,
                         message=f"CRM unreachable, retrying in {delay:.0f} s")
            return delay
        except CrmAuthFailed as exc:
            self._forget_token()  # a new one may have been saved since
            self._update(connection=ERROR, message=_sentence(str(exc)))
            return interval
        except CrmBadResponse as exc:
            delay = backoff.next_delay()
            log.warning("Bad answer from the CRM: %s", exc)
            self._update(connection=ERROR,
                         message=f"{_sentence(str(exc))}; retrying in {delay:.0f} s")
            return delay
        except Exception as exc:
            log.exception("Sync failed")
            delay = backoff.next_delay()
            self._update(connection=ERROR, message=f"Sync failed ({exc}); retrying in "
                                                   f"{delay:.0f} s")
            return delay
        finally:
            runner.client.close()
            self._refresh_counts()
        backoff.reset()
        now = datetime.now(UTC)
        catalogue_changed = (summary.products is not None or summary.price_lists_updated
                             or summary.usual_for_type_updated)
        self._update(connection=ONLINE, message="Up to date", last_success=now,
                     **({"catalogue_updated": now} if catalogue_changed else {}))
        return interval

    def _progress(self, message: str) -> None:
        """Sync thread: news from a long pass."""
        self._update(connection=SYNCING, message=message)

    def _refresh_counts(self) -> None:
        try:
            counts = self.cache.counts().result()
        except Exception:
            log.exception("Could not count the cache's records")
            return
        self._update(customers_cached=counts.customers, outbox_waiting=counts.outbox_waiting,
                     outbox_needs_attention=counts.outbox_needs_attention)

    def _update(self, **changes: Any) -> None:
        """Sync thread: change the state and tell the listeners when it differs."""
        with self._lock:
            new = replace(self._state, **changes)
            if new == self._state:
                return
            self._state = new
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(new)
            except Exception:
                log.exception("A sync state listener failed")


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when
    it is shorter). Any thread."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def start_of_day(moment: datetime) -> datetime:
    """Local midnight of the day ``moment`` falls on (local time). Any thread."""
    return moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def with_last_calls(customers: Sequence[Customer], calls: Sequence[CallRecord],
                    default_region: str) -> list[DormantCustomer]:
    """Each customer with their latest call among ``calls``. Any thread.

    A history entry and the call log of the same call (same call id) are one call: the
    history gives its result, the call log its disposition. A call log names its
    customer; a call known only by its number belongs to every customer having that
    number (the number written in any usual way, ``default_region`` placing national
    forms).
    """
    merged: dict[str, CallRecord] = {}
    for index, record in enumerate(calls):
        key = record.call_id or f"#{index}"
        known = merged.get(key)
        if known is None:
            merged[key] = record
            continue
        merged[key] = CallRecord(
            call_id=key, customer_id=known.customer_id or record.customer_id,
            number=known.number or record.number, direction=known.direction,
            started_at=min(known.started_at, record.started_at),
            result=known.result or record.result,
            disposition=record.disposition or known.disposition)
    by_phone: dict[str, list[str]] = {}
    for customer in customers:
        for phone in customer.phones:
            by_phone.setdefault(phone, []).append(customer.id)
    latest: dict[str, CallRecord] = {}
    for record in merged.values():
        if record.customer_id:
            owners = [record.customer_id]
        else:
            e164 = to_e164(_number_part(record.number), default_region)
            owners = by_phone.get(e164, []) if e164 else []
        for owner in owners:
            if owner not in latest or record.started_at >= latest[owner].started_at:
                latest[owner] = record
    rows = []
    for customer in customers:
        found = latest.get(customer.id)
        last = None if found is None else LastCall(found.started_at, found.direction,
                                                   found.result, found.disposition)
        rows.append(DormantCustomer(customer, last))
    return rows


def _number_part(text: str) -> str:
    """The number in a ``sip:`` or ``tel:`` address (or ``text`` itself)."""
    for scheme in ("sip:", "sips:", "tel:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme):]
            break
    return text.split("@", 1)[0].split(";", 1)[0]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
