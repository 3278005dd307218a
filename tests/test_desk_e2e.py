"""The customer desk with every real peer: the order call from ring to the CRM.

Kamailio is the PBX; baresip is the customer, registered as the Romanian number
0720 000 007 that the reference CRM (a real server process) holds for customer c7;
PulseAudio null sinks are the headset; gnome-keyring (tests/run.sh) keeps the secrets.
The app's GUI runs in this process with its real phone engine process, so the test types
on the real widgets. The CRM is stopped before each call: the card comes from the
encrypted cache, the order and the call log wait in the outbox, and once the CRM is back
it holds each of them exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.gui.application import SoftphoneGui
from softphone.gui.desk import CustomerDesk
from softphone.sync.service import SyncService
from tests.app_process import agent_keyring
from tests.gui.app_gui import app_context, softphone_gui
from tests.gui.desk_keys import take_order_by_keyboard, wrap_up_by_keyboard
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.peers.fixtures import BaresipFactory
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port
from tests.peers.pulse import PulseAudio
from tests.sync.helpers import PRICE_LISTS, customer, product

pytestmark = [pytest.mark.peers, pytest.mark.timeout(180)]

CUSTOMER_NUMBER = "0720000007"  # c7's phone, +40720000007, written the national way


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    with agent_keyring(), serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": [customer(7, name="Ioana Popescu", type="retail")],
        "products": [product(n) for n in range(1, 8)],
    }) as server:
        yield server


@pytest.fixture
def gui(qtbot: QtBot, tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
        crm: CrmServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftphoneGui]:
    for name, value in pulse.env.items():  # the engine process inherits them
        monkeypatch.setenv(name, value)
    context = app_context(tmp_path / "profile", {
        "sip.uri": f"sip:agent@{kamailio.host}:{kamailio.port}",
        "sip.rtp_port": free_port("udp", low=10000, high=19000),
        "audio.microphone": "headset_mic", "audio.speaker": "headset",
        "audio.ringer": "ringer", "crm.url": crm.url, "crm.timeout_seconds": 2,
        "sync.interval_seconds": 5, "calls.default_region": "RO", "wrapup.seconds": 0,
    })
    with softphone_gui(context) as running:
        running.start()
        yield running


def ready(qtbot: QtBot, gui: SoftphoneGui) -> tuple[SyncService, CustomerDesk]:
    """Registered, synced and the catalogue loaded: the agent's shift can start."""
    sync, desk, phone = gui.context.sync, gui.desk, gui.context.phone
    assert sync is not None and desk is not None
    qtbot.waitUntil(lambda: phone.snapshot().registration.state == "registered"
                    and sync.state().customers_cached == 1
                    and desk.workspace.catalogue.get("SKU-1") is not None, timeout=60_000)
    return sync, desk


def crm_records(crm: CrmServer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with crm.client() as client:
        orders = client.get("/customers/c7/orders").json()["orders"]
        calls = client.get("/customers/c7/calls").json()["calls"]
    return orders, calls


def catch_up(qtbot: QtBot, crm: CrmServer, sync: SyncService) -> None:
    """The CRM comes back; everything waiting is sent."""
    crm.start()
    sync.sync_now()
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 0, timeout=60_000)


def test_customer_calls_while_the_crm_is_down_and_the_order_arrives_once(
        qtbot: QtBot, gui: SoftphoneGui, crm: CrmServer, kamailio: Kamailio,
        baresip_factory: BaresipFactory) -> None:
    sync, desk = ready(qtbot, gui)
    crm.kill()

    caller = baresip_factory(CUSTOMER_NUMBER)
    caller.dial(kamailio.aor("agent"))
    qtbot.waitUntil(lambda: desk.workspace.customer is not None, timeout=20_000)
    (call,) = gui.context.phone.snapshot().calls.values()
    assert call.state == "incoming"  # the card is up while it still rings
    assert desk.workspace.customer is not None and desk.workspace.customer.id == "c7"
    shown = gui.context.screenpop.status_json() if gui.context.screenpop else None
    assert shown is not None and shown["call_id"] == call.id
    assert shown["source"] == "cache"
    qtbot.waitUntil(lambda: (gui.context.screenpop.status_json() or {}).get("shown_ms")
                    is not None, timeout=5000)  # type: ignore[union-attr]

    assert gui.incoming.windows  # the ringing window is up too
    gui.call_actions.answer()
    caller.wait_call_established()
    qtbot.waitUntil(lambda: not gui.incoming.windows, timeout=10_000)
    gui.window.activateWindow()  # the ringing window has closed: back at the desk
    qtbot.waitUntil(lambda: QApplication.activeWindow() is gui.window)
    take_order_by_keyboard(qtbot, desk)
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 1, timeout=10_000)

    caller.hangup()
    qtbot.waitUntil(lambda: desk.workspace.wrapup.entry is not None, timeout=20_000)
    wrap_up_by_keyboard(qtbot, desk)
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 2, timeout=10_000)

    catch_up(qtbot, crm, sync)
    orders, calls = crm_records(crm)
    assert len(orders) == 1 and len(calls) == 1
    assert orders[0]["call_id"] == call.id
    assert [(line["sku"], line["quantity"]) for line in orders[0]["lines"]] == [("SKU-2", 3)]
    assert calls[0]["disposition"] == "Order taken"
    assert calls[0]["direction"] == "inbound"
    assert calls[0]["duration_seconds"] >= 0


def test_calling_a_customer_shows_the_card_and_records_the_outcome(
        qtbot: QtBot, gui: SoftphoneGui, crm: CrmServer,
        baresip_factory: BaresipFactory) -> None:
    customer_phone = baresip_factory(CUSTOMER_NUMBER, auto_answer=True)
    sync, desk = ready(qtbot, gui)
    crm.kill()

    window = gui.window
    window.number_field.setFocus()
    qtbot.keyClicks(window.number_field, "0720 000 007")
    qtbot.keyClick(window.number_field, "\r")
    qtbot.waitUntil(lambda: desk.workspace.customer is not None, timeout=20_000)
    assert desk.workspace.customer is not None and desk.workspace.customer.id == "c7"
    customer_phone.wait_call_established()

    gui.call_actions.hangup()
    qtbot.waitUntil(lambda: desk.workspace.wrapup.entry is not None, timeout=20_000)
    wrap_up_by_keyboard(qtbot, desk)
    qtbot.waitUntil(lambda: sync.state().outbox_waiting == 1, timeout=10_000)

    catch_up(qtbot, crm, sync)
    orders, calls = crm_records(crm)
    assert orders == []
    assert [(c["customer_id"], c["direction"], c["disposition"]) for c in calls] == [
        ("c7", "outbound", "Order taken")]
