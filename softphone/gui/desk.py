"""The customer desk: the workspace (card, order form, wrap-up) wired to the rest of the app.

- Screen-pop results arrive on the screen-pop's threads and are re-emitted on the GUI
  thread; the card is shown on ring or on answer (``screenpop.when``), and the time it
  reached the screen is reported back (``status --json`` shows it).
- The agent's wrap-up opens the wrap-up page; "Done" queues the call log.
- Orders and new-customer leads go to the outbox; "Transfer to manager" transfers the
  current call.
- The catalogue, price lists and the products usual for each customer type are read from
  the cache at start and after each sync that changed them, and the catalogue's search
  index is built off the GUI thread.

Everything here runs on the GUI thread unless a method says otherwise.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from softphone import protocol
from softphone.agent import Agent, AgentState, AgentStatus
from softphone.cache.store import OutboxItem
from softphone.context import AppContext
from softphone.crm.schema import (
    CallLogCreate,
    CustomerLead,
    CustomerType,
    OrderCreate,
    PriceLists,
)
from softphone.gui.actions import CallActions
from softphone.gui.bridge import PhoneBridge
from softphone.gui.workspace import Workspace
from softphone.gui.wrapup import parse_dispositions
from softphone.orders.catalogue import Catalogue
from softphone.orders.drafts import CacheDraftStore
from softphone.screenpop import ScreenPopResult, ScreenPopService
from softphone.sync.service import SyncService, SyncState
from softphone.targets import uri_user

log = logging.getLogger(__name__)


def tr(text: str) -> str:
    return QCoreApplication.translate("CustomerDesk", text)


class CustomerDesk(QObject):
    """Owns the workspace and connects it; see the module docstring."""

    _lookup_arrived = Signal(object)  # ScreenPopResult, from a screen-pop thread
    # Catalogue, PriceLists, {CustomerType: [SKU]}, from the cache's worker thread.
    _catalogue_ready = Signal(object, object, object)
    _problem = Signal(str)  # a screen-pop URL or command failed

    def __init__(self, context: AppContext, bridge: PhoneBridge, actions: CallActions,
                 notify: Callable[[str], None], parent: QObject | None = None) -> None:
        """``notify(text)`` shows a problem to the agent without stopping them (a banner)."""
        super().__init__(parent)
        assert context.sync and context.screenpop and context.agent
        self.context = context
        self.sync: SyncService = context.sync
        self.screenpop: ScreenPopService = context.screenpop
        self.agent: Agent = context.agent
        self.actions = actions
        self.notify = notify
        settings = context.settings
        self.workspace = Workspace(
            CacheDraftStore(self.sync),
            dispositions=parse_dispositions(str(settings["wrapup.dispositions"])),
            offer_minimum=int(settings["orders.offer_minimum"]),
            default_region=str(settings["calls.default_region"]),
            agent=uri_user(str(settings["sip.uri"])),
            clock=self.agent.now,
        )
        self._pending: dict[str, ScreenPopResult] = {}  # card waits for the answer
        self._catalogue_updated: datetime | None = None

        self.workspace.transfer_requested.connect(self._transfer)
        self.workspace.order_submitted.connect(self._queue_order)
        self.workspace.lead_submitted.connect(self._queue_lead)
        self.workspace.wrapup_done.connect(self._queue_call_log)
        self.workspace.customer_chosen.connect(self.screenpop.select_customer)
        bridge.incoming_call.connect(self._ringing)
        bridge.call_state_changed.connect(self._call_state)
        self._lookup_arrived.connect(self._show_lookup)
        self._catalogue_ready.connect(self._use_catalogue)
        self._problem.connect(notify)
        self.screenpop.add_listener(self._lookup_arrived.emit)
        self.screenpop.add_problem_listener(lambda _call, text: self._problem.emit(text))

    # ------------------------------------------------------------------ start-up

    def start(self) -> None:
        """Load the catalogue now and after every successful sync."""
        self.load_catalogue()

    def sync_changed(self, state: SyncState) -> None:
        """A new sync state (GUI thread): reload the catalogue when a sync changed it."""
        if state.catalogue_updated != self._catalogue_updated:
            self._catalogue_updated = state.catalogue_updated
            self.load_catalogue()

    def load_catalogue(self) -> None:
        cache = self.sync.cache
        products = cache.products()
        price_lists = cache.price_lists()
        usual = cache.usual_for_type()  # the worker runs them in order: this one is last

        def build(_done: Future[dict[CustomerType, list[str]]]) -> None:
            """The cache's worker thread: build the search index there, not on the GUI."""
            try:
                catalogue = Catalogue(products.result())
                lists = price_lists.result() or PriceLists(columns=[], column_for_type={})
            except Exception:
                log.exception("Could not read the catalogue from the cache")
                return
            self._catalogue_ready.emit(catalogue, lists, _usual_or_none(usual))

        usual.add_done_callback(build)

    def _use_catalogue(self, catalogue: Catalogue, price_lists: PriceLists,
                       usual_for_type: Mapping[CustomerType, Sequence[str]]) -> None:
        """GUI thread: the new catalogue for orders. Its tens of thousands of objects live
        until the next one: kept out of the collector's full passes, which would
        otherwise pause the GUI for 100 ms or more while a card is due on screen."""
        self.workspace.set_catalogue(catalogue, price_lists, usual_for_type)
        gc.freeze()

    # ------------------------------------------------------------------ calls

    def _ringing(self, event: protocol.IncomingCall) -> None:
        """Show "looking up" for a new call, unless its lookup already answered: the
        ring and the cache's answer come by separate threads, in either order."""
        answered = self.workspace.result is not None and (
            self.workspace.result.call_id == event.call_id)
        if self._when() == "ring" and self.agent.accepts_calls() and not answered:
            self.workspace.show_loading(event.call_id, event.remote.number)

    def _call_state(self, event: protocol.CallStateChanged) -> None:
        if event.state == "confirmed" and event.call_id in self._pending:
            self._show(self._pending.pop(event.call_id))
        elif event.state == "disconnected":
            self._pending.pop(event.call_id, None)

    def _show_lookup(self, result: ScreenPopResult) -> None:
        when = self._when()
        if when == "off":
            return
        ringing = result.direction == "inbound" and not self._answered(result.call_id)
        if when == "answer" and ringing:
            self._pending[result.call_id] = result
            return
        self._show(result)

    def _show(self, result: ScreenPopResult) -> None:
        self.workspace.show_lookup(result)
        # Timed once the card has been painted: a zero timer runs after the repaint
        # the new card has queued.
        call_id = result.call_id
        QTimer.singleShot(0, lambda: self.screenpop.mark_shown(call_id, time.monotonic()))
        if result.final:
            self._open_web_page(result)

    def _answered(self, call_id: str) -> bool:
        call = self.context.phone.snapshot().calls.get(call_id)
        return call is not None and call.state == "confirmed"

    def _when(self) -> str:
        return str(self.context.settings["screenpop.when"])

    def _open_web_page(self, result: ScreenPopResult) -> None:
        url = self.screenpop.url_for(result)
        if url and not QDesktopServices.openUrl(QUrl(url)):
            self.notify(tr("The CRM page could not be opened: {url}")
                                         .format(url=url))

    # ------------------------------------------------------------------ agent

    def agent_changed(self, state: AgentState) -> None:
        """The agent's state changed (GUI thread): a wrap-up opens its page."""
        if (state.status == AgentStatus.WRAP_UP and state.last_call is not None
                and self.workspace.wrapup.entry is not state.last_call):
            self.workspace.show_wrapup(state.last_call, state.wrapup_deadline)

    # ------------------------------------------------------------------ what the agent did

    def _transfer(self, extension: str) -> None:
        try:
            self.actions.transfer(extension)
        except Exception as exc:
            self.notify(tr("Transfer failed: {error}").format(error=exc))

    def _queue_order(self, order: OrderCreate) -> None:
        self.sync.queue_order(order).add_done_callback(self._report_queue_failure)

    def _queue_lead(self, lead: CustomerLead) -> None:
        self.sync.queue_lead(lead).add_done_callback(self._report_queue_failure)

    def _queue_call_log(self, call_log: CallLogCreate) -> None:
        self.sync.queue_call_log(call_log).add_done_callback(self._report_queue_failure)
        self.agent.finish_wrapup()

    def _report_queue_failure(self, future: Future[OutboxItem]) -> None:
        """The cache's worker thread: a record could not be saved; never silently."""
        exc = future.exception()
        if exc is not None:
            log.error("Could not save a record for the CRM", exc_info=exc)
            self._problem.emit(tr("A record could not be saved for the CRM: {error}")
                               .format(error=exc))


def _usual_or_none(usual: Future[dict[CustomerType, list[str]]]
                   ) -> dict[CustomerType, list[str]]:
    """The cache's worker thread: the products usual per customer type, or none when they
    cannot be read (orders are taken without them)."""
    try:
        return usual.result()
    except Exception:
        log.exception("Could not read the products usual per customer type from the cache")
        return {}
