"""The customer desk in the real app, against the real CRM server as a process.

The app's own objects (``AppContext``, ``SoftphoneGui``, the sync service and encrypted
cache) run in this process, the phone engine is not started; the caller's number goes
through the real screen-pop service. The CRM is stopped before the call: the card comes
from the cache, the order is typed and queued offline, the wrap-up is done; when the
CRM is back it holds the order and the call log exactly once. The keyring is the private
gnome-keyring of tests/run.sh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui.application import SoftphoneGui
from softphone.storage.history import HistoryEntry
from tests.gui.app_gui import app_context, softphone_gui, start_desk
from tests.gui.desk_keys import take_order_by_keyboard, wrap_up_by_keyboard
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.sync.helpers import PRICE_LISTS, customer, product


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    with serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": [customer(7, name="Ioana Popescu", type="retail")],
        "products": [product(n) for n in range(1, 8)],
    }) as server:
        yield server


@pytest.fixture
def gui(qtbot: QtBot, tmp_path: Path, crm: CrmServer) -> Iterator[SoftphoneGui]:
    context = app_context(tmp_path / "profile", {
        "crm.url": crm.url, "crm.timeout_seconds": 2, "sync.interval_seconds": 5,
        "calls.default_region": "RO", "wrapup.seconds": 0})
    with softphone_gui(context) as running:
        start_desk(running)
        yield running


def test_order_taken_offline_reaches_the_crm_once(qtbot: QtBot, gui: SoftphoneGui,
                                                  crm: CrmServer) -> None:
    sync, desk = gui.context.sync, gui.desk
    assert sync is not None and desk is not None and gui.context.screenpop is not None
    qtbot.waitUntil(lambda: sync.state().connection == "online"
                    and sync.state().customers_cached == 1, timeout=30_000)
    qtbot.waitUntil(lambda: desk.workspace.catalogue.get("SKU-1") is not None, timeout=10_000)
    crm.kill()

    gui.context.screenpop.on_incoming("call-1", "sip:0720000007@pbx", "Ioana")
    qtbot.waitUntil(lambda: desk.workspace.customer is not None, timeout=10_000)
    assert desk.workspace.customer.id == "c7"
    shown = gui.context.screenpop.status_json()
    assert shown is not None and shown["source"] == "cache" and shown["shown_ms"] is not None

    take_order_by_keyboard(qtbot, desk)
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 1, timeout=10_000)

    started = time.time() - 95
    desk.workspace.show_wrapup(HistoryEntry(
        "call-1", "incoming", "Ioana", "0720000007", "sip:0720000007@pbx", started,
        started + 5, started + 95, 90.0, "answered"), None)
    wrap_up_by_keyboard(qtbot, desk)
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 2, timeout=10_000)

    crm.start()
    sync.sync_now()
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 0, timeout=60_000)
    with crm.client() as client:
        orders = client.get("/customers/c7/orders").json()["orders"]
        calls = client.get("/customers/c7/calls").json()["calls"]
    assert len(orders) == 1
    assert [line["sku"] for line in orders[0]["lines"]] == ["SKU-2"]
    assert orders[0]["lines"][0]["quantity"] == 3
    assert orders[0]["call_id"] == "call-1"
    assert len(calls) == 1
    assert calls[0]["disposition"] == "Order taken"


def test_the_card_stays_when_the_ring_reaches_the_desk_after_the_cache_answered(
        qtbot: QtBot, gui: SoftphoneGui) -> None:
    sync, desk, screenpop = gui.context.sync, gui.desk, gui.context.screenpop
    assert sync is not None and desk is not None and screenpop is not None
    qtbot.waitUntil(lambda: sync.state().customers_cached == 1, timeout=30_000)
    remote = protocol.RemoteParty("Ioana", "0720000007", "sip:0720000007@pbx")
    screenpop.on_incoming("call-9", remote.uri, remote.display_name)
    qtbot.waitUntil(lambda: desk.workspace.customer is not None, timeout=10_000)
    # The late ring, emitted on the GUI thread: the desk handles it before emit returns.
    gui.bridge.incoming_call.emit(protocol.IncomingCall("call-9", remote))
    assert desk.workspace.customer is not None and desk.workspace.customer.id == "c7"
    assert desk.workspace.card.mode == "customer"
    qtbot.waitUntil(lambda: (screenpop.status_json() or {}).get("shown_ms") is not None)
