"""The support bundle holds nothing of the customer the screen-pop showed.

Everything is real and started by the test: the reference CRM server holding the
customer, Kamailio, baresip calling as the customer's number with the customer's name,
PulseAudio null sinks, the app itself (``python -m softphone``) with the debug log and the
SIP trace on, and gnome-keyring (tests/run.sh). The app looks the caller up in the CRM,
keeps the customer in its encrypted cache and the call in its history, and logs whatever
it logs; the agent then calls the customer back on the other number. The bundle made
afterwards is searched, member by member, for every piece of the customer's data.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_process import RunningApp, agent_keyring, agent_settings, running
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.peers.fixtures import BaresipFactory
from tests.peers.kamailio import Kamailio
from tests.peers.pulse import PulseAudio
from tests.sync.helpers import PRICE_LISTS, customer, customers, product

pytestmark = [pytest.mark.peers, pytest.mark.timeout(240)]

CALLER = "0720000007"  # the customer's mobile, +40720000007, as the PBX delivers it
OFFICE = "+40213334455"  # the customer's other number, which the agent calls back
NAME = "Zoë Ångström-Okafor"
COMPANY = "Okafor Feinkost Distribuție SRL"
EMAIL = "zoe.okafor@feinkost-okafor.example"
#: What of the customer must not be in the bundle, in any letter case: the name also word
#: by word; the numbers by the digits every shape of them holds (+40720000007, 0720000007,
#: %2B40720000007) and spaced the way people write them.
FORBIDDEN = (NAME, "Zoë", "Ångström", "Okafor", COMPANY, "Feinkost", "Distribuție", EMAIL,
             "zoe.okafor", "720000007", "720 000 007", "213334455", "333 4455")


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    """The CRM with the customer among others; the SIP password in the keyring. The
    keyring entries the app made are removed at the end."""
    with agent_keyring(), serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": [*customers(1, 7),
                      customer(7, name=NAME, company=COMPANY, email=EMAIL,
                               phones=["+40720000007", OFFICE]),
                      *customers(8, 12)],
        "products": [product(1)],
    }) as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
        crm: CrmServer) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path / "profile", pulse.env)
    app.configure(**agent_settings(kamailio), sip__registrar=kamailio.registrar_uri,
                  crm__url=crm.url, crm__timeout_seconds="2", sync__interval_seconds="5",
                  calls__default_region="RO", sip__trace="true", log__level="debug")
    with running(app) as started:
        yield started


def _take_a_call_from_the_customer(app: RunningApp, kamailio: Kamailio,
                                   baresip_factory: BaresipFactory) -> str:
    """The customer calls, the card pops from the CRM, the agent answers and hangs up.
    Returns the call's id."""
    caller = baresip_factory(CALLER, display_name=NAME)
    caller.dial(kamailio.aor("agent"))
    popped = app.wait_status(
        lambda s: (s["screen_pop"] or {}).get("source") == "crm" and bool(s["calls"]),
        timeout=30, message="the CRM's card never arrived")
    (call,) = popped["calls"]
    assert popped["screen_pop"]["customer_id"] == "c7"
    assert app.cli("answer").returncode == 0
    caller.wait_call_established()
    assert app.cli("hangup").returncode == 0
    caller.wait_call_closed()
    app.wait_status(lambda s: not s["calls"], message="the call is still listed")
    return str(call["id"])


def _call_the_office_back(app: RunningApp, first_call: str) -> None:
    """The agent dials the customer's other number, written the national way; the PBX
    knows no such user, so the call fails, and is kept in the history."""
    dialled = app.cli("dial", "021 333 4455")
    assert dialled.returncode == 0, dialled.stderr
    app.wait_status(lambda s: (s["screen_pop"] or {}).get("call_id") not in (None, first_call)
                    and s["screen_pop"]["customer_id"] == "c7" and not s["calls"],
                    timeout=30, message="the call back never ended")


def _bundle_texts(app: RunningApp, output: Path) -> dict[str, str]:
    made = app.cli("support-bundle", "--output", str(output))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(output) as bundle:
        return {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}


def test_no_customer_data_the_screen_pop_showed_reaches_the_bundle(
        app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory,
        tmp_path: Path) -> None:
    app.wait_status(lambda s: s["registration"]["state"] == "registered"
                    and s["sync"]["customers_cached"] == 11,
                    timeout=60, message="not registered and synced")
    call_id = _take_a_call_from_the_customer(app, kamailio, baresip_factory)
    _call_the_office_back(app, call_id)

    # The customer's data is where the app keeps it: the history and the cache...
    history = json.loads(app.cli("history", "--json").stdout)
    assert len(history) == 2 and NAME in [entry["display_name"] for entry in history]
    found = app.cli("customers", "find", CALLER, "--json")
    assert found.returncode == 0, found.stderr
    assert [(c["name"], c["company"], c["email"]) for c in json.loads(found.stdout)] == [
        (NAME, COMPANY, EMAIL)]
    # ... and in the raw logs (the SIP trace), so the bundle has something to remove.
    raw = "".join(path.read_text(encoding="utf-8", errors="replace")
                  for path in app.profile.log_dir.glob("*.log"))
    assert CALLER in raw and NAME in raw

    contents = _bundle_texts(app, tmp_path / "out" / "bundle.zip")
    assert {"logs/softphone.log", "logs/engine.log", "diagnose.json",
            "settings.toml"} <= set(contents)
    for name, text in contents.items():
        folded = f"{name}\n{text}".casefold()
        for forbidden in FORBIDDEN:
            assert forbidden.casefold() not in folded, f"{forbidden!r} is in {name}"
    # What support needs is still there: which call, what the screen-pop found.
    assert f"Screen-pop of call {call_id}: 1 match(es) from crm, final" in (
        contents["logs/softphone.log"])
    assert "From: <removed>" in contents["logs/engine.log"]
