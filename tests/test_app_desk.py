"""The customer desk end to end: a customer known to the CRM calls while the CRM is down.

Real peers, started by the test: Kamailio, baresip (calling as the Romanian number
0720 000 007), PulseAudio null sinks, the reference CRM server and gnome-keyring.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_process import RunningApp, agent_keyring, agent_settings, running
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.peers.fixtures import BaresipFactory
from tests.peers.kamailio import Kamailio
from tests.peers.pulse import PulseAudio
from tests.sync.helpers import PRICE_LISTS, customer, customers, product

pytestmark = pytest.mark.peers

CALLER = "0720000007"  # customer c7's phone, +40720000007, written the national way


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    with agent_keyring(), serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": [*customers(1, 7), customer(7, name="Ioana Popescu", type="key"),
                      *customers(8, 20)],
        "products": [product(n) for n in range(1, 6)],
    }) as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
        crm: CrmServer) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path / "profile", pulse.env)
    app.configure(**agent_settings(kamailio), crm__url=crm.url, crm__timeout_seconds="2",
                  sync__interval_seconds="5", calls__default_region="RO",
                  wrapup__seconds="0")
    with running(app) as started:
        yield started


def test_card_pops_from_the_cache_while_the_crm_is_down(
    app: RunningApp, crm: CrmServer, kamailio: Kamailio, baresip_factory: BaresipFactory,
) -> None:
    app.wait_status(lambda s: s["registration"]["state"] == "registered"
                    and s["sync"]["customers_cached"] == 19,
                    timeout=60, message="not registered and synced")
    assert app.status()["agent"] == {"status": "available"}
    crm.kill()

    caller = baresip_factory(CALLER)
    caller.dial(kamailio.aor("agent"))
    ringing = app.wait_status(lambda s: any(c["state"] == "incoming" for c in s["calls"]),
                              message="no incoming call")
    (call,) = ringing["calls"]
    popped = app.wait_status(
        lambda s: (s["screen_pop"] or {}).get("shown_ms") is not None,
        message="the card never reached the screen")
    screen_pop = popped["screen_pop"]
    assert screen_pop["call_id"] == call["id"]
    assert screen_pop["customer_id"] == "c7"
    assert screen_pop["source"] == "cache"
    assert 0 <= screen_pop["shown_ms"] < 5000

    assert app.cli("answer").returncode == 0
    caller.wait_call_established()
    app.wait_status(lambda s: s["agent"] == {"status": "on_call"}, message="not on call")
    assert app.cli("hangup").returncode == 0
    caller.wait_call_closed()
    # wrapup.seconds 0: the wrap-up lasts until the agent finishes it.
    app.wait_status(lambda s: s["agent"] == {"status": "wrap_up"}, message="no wrap-up")
