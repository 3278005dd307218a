"""Screen-pop: who is calling, from the local cache at once, then fresh from the CRM.

For each call (:meth:`ScreenPopService.on_incoming` or :meth:`~ScreenPopService.on_outgoing`):

1. The number is normalised to E.164 with ``calls.default_region``. A withheld number
   (empty, ``anonymous``, ``restricted``...) gives a result with ``withheld`` set; a number
   that is not a phone number (an extension, garbage) gives one with ``e164`` None. Both
   have ``source`` "none" and are final.
2. The encrypted cache is asked (on its worker thread) and its answer delivered at once:
   ``source`` "cache" with the matching customers and their last orders and calls as last
   fetched, or "none" when no cached customer has the number.
3. When a CRM is configured, the "screenpop" worker thread (a small one of its own, so a
   long sync never delays a caller's card) asks it: lookup, then the recent orders and
   calls of each match, each request bounded by :data:`REFRESH_TIMEOUT`, the whole by
   about :data:`REFRESH_BUDGET`. A second result
   is delivered (``source`` "crm", or "none" if the CRM knows no one with the number) and
   the answer is stored in the cache for the next call. If the CRM cannot be reached,
   the cache's result is delivered again with ``refresh_error`` saying why.

The last result of a call has ``final`` set; then the ``screenpop.command``, if any, runs
with the call's values as separate arguments (never through a shell). The lookup runs
whatever ``screenpop.when`` says: that setting decides when the GUI shows the card, and the
order form and wrap-up need the customer either way.

Public API (``softphone.screenpop``):

- ``ScreenPopService(sync, settings)``; ``close()``.
- ``on_incoming(call_id, remote_number, display_name)``, ``on_outgoing(call_id, number)``:
  any thread, return at once.
- ``add_listener(callback)``: ``callback(ScreenPopResult)`` runs on the thread that has
  the news: the caller's of ``on_incoming`` (withheld or not a number), the cache's
  worker (the cache's answer) or the screen-pop worker (the CRM's). It must return
  quickly: hand the result to the GUI thread.
- ``add_problem_listener(callback)``: ``callback(call_id, message)`` for a URL template or
  command that failed, in plain words; the screen-pop worker or the caller of ``url_for``.
- ``current() -> ScreenPopResult | None``: the newest result of the newest call.
- ``select_customer(call_id, customer_id)``: the agent chose one of several matches.
- ``mark_shown(call_id, monotonic_time)``: the card is on screen (GUI thread).
- ``status_json()``: ``{"call_id", "customer_id", "source", "shown_ms"}`` or None.
- ``url_for(result) -> str | None``: ``screenpop.url_template`` expanded for the result.
- Functions ``expand_url(template, values)``, ``run_command(command_line, values)``,
  ``call_values(result)``, ``caller_number(remote)``, ``is_withheld(number)``.

Imports no Qt.
"""

from __future__ import annotations

import logging
import shlex
import string
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from softphone.cache.store import CachedMatches
from softphone.crm.client import CrmClient, CrmError, CrmRejected
from softphone.crm.schema import CallLog, Customer, Order
from softphone.errors import UserFacingError
from softphone.numbers import to_e164
from softphone.settings import Settings
from softphone.sync.service import OFFLINE, NotConfigured, SyncService

log = logging.getLogger(__name__)

Source = Literal["cache", "crm", "none"]
Direction = Literal["inbound", "outbound"]

PLACEHOLDERS = ("number", "e164", "customer_id", "display_name")
REFRESH_TIMEOUT = 2.0  # seconds per CRM request; the cache's card is up meanwhile
REFRESH_BUDGET = 4.0  # seconds after which no further recent records are asked for
#: The settings a kept CRM client was made with; a change makes a new one.
CLIENT_SETTINGS = ("crm.url", "crm.ca_file", "crm.timeout_seconds")
RECENT_LIMIT = 10  # orders and calls fetched per customer
MAX_REFRESHED = 5  # matches whose recent records are fetched
_KEPT_CALLS = 20
# What SIP and PBXs put in place of a number the caller hides.
_WITHHELD = frozenset({"", "anonymous", "anonymous.invalid", "restricted", "private",
                       "unavailable", "unknown", "withheld", "blocked"})


class TemplateError(UserFacingError):
    """The URL template cannot be used; the message says why."""


class CommandError(UserFacingError):
    """The screen-pop command could not be started; the message says why."""


@dataclass(frozen=True)
class ScreenPopResult:
    """What is known about a call's other party at one moment."""

    call_id: str
    number: str  # as the call gave it
    e164: str | None  # None when withheld or not a phone number
    matches: list[Customer]
    source: Source
    # When the data shown was last known current: the CRM's answer, or for the cache the
    # later of its last complete sync and when the CRM last sent these customers.
    fetched_at: datetime | None
    recent_orders: list[Order]  # of every match, newest first per customer
    recent_calls: list[CallLog]
    withheld: bool
    direction: Direction = "inbound"
    display_name: str = ""  # from the call (SIP display name), untrusted text
    recent_fetched_at: datetime | None = None  # when the recent records were fetched
    final: bool = False  # no further result follows for this call
    refresh_error: str = ""  # why the CRM could not be asked, if it could not

    @property
    def customer_id(self) -> str | None:
        """The customer's id when exactly one matches."""
        return self.matches[0].id if len(self.matches) == 1 else None


@dataclass
class _Call:
    call_id: str
    direction: Direction
    number: str
    display_name: str
    arrived: float  # time.monotonic() when the call reached the app
    result: ScreenPopResult | None = None
    selected: str | None = None
    shown_ms: float | None = None


# ------------------------------------------------------------------------------ numbers
def caller_number(remote: str) -> str:
    """The number part of what SIP gives: ``sip:+4072...@pbx;user=phone`` -> ``+4072...``.

    Any thread.
    """
    text = remote.strip().strip("<>")
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in ("sip", "sips", "tel"):
        text = rest
    return text.split("@", 1)[0].split(";", 1)[0].strip()


def is_withheld(number: str) -> bool:
    """Whether ``number`` (from :func:`caller_number`) stands for a hidden number."""
    return number.strip().casefold() in _WITHHELD


# ---------------------------------------------------------------------- URL and command
def call_values(result: ScreenPopResult) -> dict[str, str]:
    """The placeholders' values for ``result``. The display name is the call's own, or
    the customer's name when the call gave none and one customer matches. Any thread."""
    name = result.display_name
    if not name and len(result.matches) == 1:
        name = result.matches[0].name
    return {"number": result.number, "e164": result.e164 or "",
            "customer_id": result.customer_id or "", "display_name": name}


def expand_url(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{placeholder}`` replaced by its value, URL-encoded.

    The placeholders are ``{number}``, ``{e164}``, ``{customer_id}`` and
    ``{display_name}``; ``{{`` and ``}}`` stand for braces. Raises ``TemplateError``
    for anything else, and for a URL that is not http or https. Any thread.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"the URL template is not valid: {exc}") from None
    pieces: list[str] = []
    for literal, name, spec, conversion in parts:
        pieces.append(literal)
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            known = ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)
            raise TemplateError(f"the URL template has an unknown placeholder {{{shown}}}; "
                                f"it may use {known}")
        pieces.append(quote(values.get(name, ""), safe=""))
    url = "".join(pieces)
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise TemplateError("the URL template must start with http:// or https://")
    return url


def run_command(command_line: str, values: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``command_line`` (split like a shell would, but run without one) with the
    values of :data:`PLACEHOLDERS`, in that order, as further arguments. Does not wait
    for it. Raises ``CommandError``. Any thread (not the GUI's: starting takes a moment).
    """
    try:
        argv = shlex.split(command_line)
    except ValueError as exc:
        raise CommandError(f"the screen-pop command cannot be read: {exc}") from None
    if not argv:
        raise CommandError("the screen-pop command is empty")
    argv += [values.get(name, "") for name in PLACEHOLDERS]
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in an argument
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"the screen-pop command {argv[0]} cannot be started: "
                           f"{reason}") from None


# --------------------------------------------------------------------------------- CRM
def _utc(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _recent_lists(recent: Mapping[str, tuple[Sequence[Order], Sequence[CallLog]]],
                  customers: Sequence[Customer]) -> tuple[list[Order], list[CallLog]]:
    orders = [order for c in customers if c.id in recent for order in recent[c.id][0]]
    calls = [call for c in customers if c.id in recent for call in recent[c.id][1]]
    return orders, calls


def _cached_result(call: _Call, e164: str, cached: CachedMatches) -> ScreenPopResult:
    """The cache's answer as a result (any thread)."""
    recent = {cid: (r.orders, r.calls) for cid, r in cached.recent.items()}
    orders, calls = _recent_lists(recent, cached.customers)
    known = [t for t in (cached.confirmed_at, cached.last_success) if t is not None]
    fetched = [r.fetched_at for r in cached.recent.values()]
    return ScreenPopResult(
        call_id=call.call_id, number=call.number, e164=e164, matches=list(cached.customers),
        source="cache" if cached.customers else "none",
        fetched_at=_utc(max(known)) if known else None, recent_orders=orders,
        recent_calls=calls, withheld=False, direction=call.direction,
        display_name=call.display_name, recent_fetched_at=_utc(min(fetched, default=None)))


class ScreenPopService:
    """Looks each call's number up and tells listeners what it found. See the module."""

    def __init__(self, sync: SyncService, settings: Settings) -> None:
        self._sync = sync
        self._settings = settings
        self._lock = threading.Lock()
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._current: str | None = None
        self._listeners: list[Callable[[ScreenPopResult], None]] = []
        self._problem_listeners: list[Callable[[str, str], None]] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screenpop")
        # Kept between calls so the next lookup reuses the open (TLS) connection.
        self._client: CrmClient | None = None
        self._client_settings: tuple[object, ...] = ()

    def close(self) -> None:
        """Stop the worker; a CRM request under way fails with the client closed. Any
        thread."""
        self._worker.shutdown(wait=False, cancel_futures=True)
        self._drop_client()

    # ------------------------------------------------------------------ any thread

    def add_listener(self, callback: Callable[[ScreenPopResult], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def add_problem_listener(self, callback: Callable[[str, str], None]) -> None:
        with self._lock:
            self._problem_listeners.append(callback)

    def on_incoming(self, call_id: str, remote_number: str, display_name: str) -> None:
        """A call is ringing: start finding its customer. Returns at once."""
        self._start(_Call(call_id, "inbound", caller_number(remote_number), display_name,
                          time.monotonic()))

    def on_outgoing(self, call_id: str, number: str) -> None:
        """The agent is calling ``number``: find its customer too. Returns at once."""
        self._start(_Call(call_id, "outbound", caller_number(number), "", time.monotonic()))

    def current(self) -> ScreenPopResult | None:
        with self._lock:
            call = self._calls.get(self._current) if self._current else None
            return call.result if call else None

    def select_customer(self, call_id: str, customer_id: str) -> None:
        """The agent picked ``customer_id`` among several matches (GUI thread)."""
        with self._lock:
            if (call := self._calls.get(call_id)) is not None:
                call.selected = customer_id

    def mark_shown(self, call_id: str, monotonic_time: float) -> None:
        """The card of ``call_id`` is on screen since ``monotonic_time`` (GUI thread).
        Only the first time counts."""
        with self._lock:
            call = self._calls.get(call_id)
            if call is not None and call.shown_ms is None:
                call.shown_ms = round((monotonic_time - call.arrived) * 1000, 1)

    def status_json(self) -> dict[str, Any] | None:
        """The newest call's screen-pop for ``softphone status --json``; None before any."""
        with self._lock:
            call = self._calls.get(self._current) if self._current else None
            if call is None:
                return None
            result = call.result
            return {
                "call_id": call.call_id,
                "customer_id": call.selected or (result.customer_id if result else None),
                "source": result.source if result else "none",
                "shown_ms": call.shown_ms,
            }

    def url_for(self, result: ScreenPopResult) -> str | None:
        """``screenpop.url_template`` expanded for ``result``; None when there is none or
        it cannot be used (then problem listeners hear why)."""
        template = str(self._settings["screenpop.url_template"])
        if not template:
            return None
        try:
            return expand_url(template, call_values(result))
        except TemplateError as exc:
            log.warning("Screen-pop URL: %s", exc)
            self._report(result.call_id, str(exc))
            return None

    # ------------------------------------------------------------------ the flow

    def _start(self, call: _Call) -> None:
        """Caller's thread: register the call, then ask the cache (or answer at once).

        A call already known (its first state reported twice) is not looked up again.
        """
        with self._lock:
            if call.call_id in self._calls:
                return
            self._calls[call.call_id] = call
            self._current = call.call_id
            while len(self._calls) > _KEPT_CALLS:
                self._calls.popitem(last=False)
        withheld = is_withheld(call.number)
        e164 = None if withheld else to_e164(call.number,
                                             str(self._settings["calls.default_region"]))
        if e164 is None:
            result = ScreenPopResult(
                call_id=call.call_id, number=call.number, e164=None, matches=[],
                source="none", fetched_at=None, recent_orders=[], recent_calls=[],
                withheld=withheld, direction=call.direction, display_name=call.display_name,
                final=True)
            self._publish(call, result)
            self._submit(self._run_command, call, result)
            return
        cached = self._sync.cached_matches(e164)
        cached.add_done_callback(lambda future: self._on_cached(call, e164, future))

    def _on_cached(self, call: _Call, e164: str, future: Future[CachedMatches]) -> None:
        """Cache worker thread: deliver the cache's answer, then hand over to the CRM."""
        try:
            result = _cached_result(call, e164, future.result())
        except Exception as exc:
            log.exception("Screen-pop: the cache lookup failed")
            result = ScreenPopResult(
                call_id=call.call_id, number=call.number, e164=e164, matches=[],
                source="none", fetched_at=None, recent_orders=[], recent_calls=[],
                withheld=False, direction=call.direction, display_name=call.display_name,
                refresh_error=f"the local cache failed: {exc}")
        # Published here, not on the screen-pop thread: the card never waits behind
        # another call's CRM requests.
        if not self._settings["crm.url"]:
            result = replace(result, final=True)
            self._publish(call, result)
            self._submit(self._run_command, call, result)
            return
        self._publish(call, result)
        self._submit(self._refresh, call, result)

    def _submit(self, work: Callable[[_Call, ScreenPopResult], None], call: _Call,
                result: ScreenPopResult) -> None:
        """Any thread: run ``work`` on the screen-pop thread, unless it is closed."""
        try:
            self._worker.submit(work, call, result)
        except RuntimeError:
            log.debug("Screen-pop closed; %s skipped", work.__name__)

    def _refresh(self, call: _Call, cached: ScreenPopResult) -> None:
        """Screen-pop thread: ask the CRM, deliver its answer, keep it in the cache."""
        assert cached.e164 is not None
        try:
            customers, recent = self._fetch(cached.e164)
        except (CrmError, NotConfigured) as exc:
            # A refusal's message comes from the CRM and may quote the number: its code only.
            reason = (f"refused, {exc.status} {exc.body.code}" if isinstance(exc, CrmRejected)
                      else exc)
            log.info("Screen-pop: the CRM could not be asked (%s); showing the cache", reason)
            self._finish(call, replace(cached, final=True, refresh_error=str(exc)))
            return
        now = datetime.now(UTC)
        orders, calls = _recent_lists(recent, customers)
        result = replace(cached, matches=customers, source="crm" if customers else "none",
                         fetched_at=now, recent_orders=orders, recent_calls=calls,
                         recent_fetched_at=now, final=True, refresh_error="")
        self._finish(call, result)
        if self._sync.state().connection == OFFLINE:
            self._sync.sync_now()  # the CRM answers again: send what waits at once
        try:
            self._sync.store_fetched(customers, recent).result()
        except Exception:
            log.exception("Screen-pop: could not keep the CRM's answer in the cache")

    def _fetch(self, e164: str) -> tuple[list[Customer],
                                         dict[str, tuple[list[Order], list[CallLog]]]]:
        """Screen-pop thread: the CRM's customers with ``e164`` and their recent records."""
        deadline = time.monotonic() + REFRESH_BUDGET
        recent: dict[str, tuple[list[Order], list[CallLog]]] = {}
        client = self._kept_client()
        try:
            customers = client.lookup(e164)
            for customer in customers[:MAX_REFRESHED]:
                if time.monotonic() > deadline:
                    break  # the next call's refresh must not wait long behind this one
                recent[customer.id] = (client.recent_orders(customer.id, RECENT_LIMIT),
                                       client.recent_calls(customer.id, RECENT_LIMIT))
        except BaseException:
            self._drop_client()  # the next call starts afresh (new token, new connection)
            raise
        return customers, recent

    def _kept_client(self) -> CrmClient:
        """Screen-pop thread: the client of the last lookup, or a new one when there is
        none or the CRM settings changed since."""
        current = tuple(self._settings[name] for name in CLIENT_SETTINGS)
        if self._client is None or current != self._client_settings:
            self._drop_client()
            self._client = self._sync.make_client(REFRESH_TIMEOUT)
            self._client_settings = current
        return self._client

    def _drop_client(self) -> None:
        """Screen-pop thread, or any thread once the worker is shut down."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _finish(self, call: _Call, result: ScreenPopResult) -> None:
        """Screen-pop thread: deliver the call's last result and run the command."""
        self._publish(call, result)
        self._run_command(call, result)

    def _run_command(self, call: _Call, result: ScreenPopResult) -> None:
        """Screen-pop thread: ``screenpop.command`` for the call's last result, if set."""
        command = str(self._settings["screenpop.command"])
        if not command:
            return
        try:
            run_command(command, call_values(result))
        except CommandError as exc:
            log.warning("Screen-pop command: %s", exc)
            self._report(call.call_id, str(exc))

    def _publish(self, call: _Call, result: ScreenPopResult) -> None:
        """Cache or screen-pop thread: record ``result`` and tell every listener."""
        with self._lock:
            call.result = result
            listeners = list(self._listeners)
        # The call id and what was found, never who: the log may leave the computer.
        log.info("Screen-pop of call %s: %d match(es) from %s%s", call.call_id,
                 len(result.matches), result.source, ", final" if result.final else "")
        for listener in listeners:
            try:
                listener(result)
            except Exception:
                log.exception("A screen-pop listener failed")

    def _report(self, call_id: str, message: str) -> None:
        with self._lock:
            listeners = list(self._problem_listeners)
        for listener in listeners:
            try:
                listener(call_id, message)
            except Exception:
                log.exception("A screen-pop problem listener failed")
