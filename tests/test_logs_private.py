"""The app's own log files hold no customer identity at the debug level, SIP trace off.

Everything is real and started by the test: the reference CRM server holding the
caller, Kamailio, baresip as the caller (a distinctive number and display name), as the
number the agent dials and as the number that call is transferred to, PulseAudio null
sinks, gnome-keyring (tests/run.sh) and the app itself (``python -m softphone``) with
``log.level = debug`` and ``sip.trace`` off. The agent takes the call (the card pops from
the CRM), types a card number as touch tones, hangs up, dials out and transfers that call.
Every file in the log directory is then searched for the customer's name, company and
e-mail, the numbers and the tones; the call ids must still be there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_process import RunningApp, agent_keyring, agent_settings, running
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.peers.fixtures import USERS, BaresipFactory
from tests.peers.kamailio import Kamailio
from tests.peers.pulse import PulseAudio
from tests.sync.helpers import PRICE_LISTS, customer, customers, product

pytestmark = [pytest.mark.peers, pytest.mark.timeout(300)]

CALLER = "0720000007"  # the customer's mobile as the PBX delivers it (+40720000007)
NAME = "Ottilie Brandt"
COMPANY = "Brandt Feinkost Handelsgesellschaft"
EMAIL = "ottilie.brandt@feinkost-brandt.example"
DIALLED = "0213334455"  # the number the agent dials, typed "021 333 4455"
TRANSFER_TO = "0319876543"  # where that call is handed over to
TONES = "4929175311#"  # a card number typed on the keypad
#: Not in any log file, in any letter case.
FORBIDDEN = (NAME, "Ottilie", "Brandt", COMPANY, "Feinkost", EMAIL, "720000007",
             "720 000 007", "213334455", "333 4455", "319876543", TONES, TONES[:-1])


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    """The PBX, also knowing the dialled number and the transfer target as users."""
    server = Kamailio({**USERS, DIALLED: "officepw", TRANSFER_TO: "colleaguepw"},
                      tmp_path / "kamailio")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    """The CRM with the caller among others; the SIP password in the keyring. The keyring
    entries the app made are removed at the end."""
    with agent_keyring(), serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": [*customers(1, 7),
                      customer(7, name=NAME, company=COMPANY, email=EMAIL,
                               phones=["+40720000007", "+40213334455"]),
                      *customers(8, 10)],
        "products": [product(1)],
    }) as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
        crm: CrmServer) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path / "profile", pulse.env)
    app.configure(**agent_settings(kamailio), sip__registrar=kamailio.registrar_uri,
                  crm__url=crm.url, sync__interval_seconds="5", calls__default_region="RO",
                  sip__trace="false", log__level="debug")
    with running(app) as started:
        yield started


def _ok(app: RunningApp, *args: str) -> None:
    result = app.cli(*args)
    assert result.returncode == 0, result.stderr


def _confirmed(app: RunningApp, message: str) -> str:
    """Wait until the one call is confirmed; its id."""
    status = app.wait_status(lambda s: [c["state"] for c in s["calls"]] == ["confirmed"],
                             timeout=30, message=message)
    return str(status["calls"][0]["id"])


def _no_calls(app: RunningApp, message: str) -> None:
    app.wait_status(lambda s: not s["calls"], timeout=30, message=message)


def _take_the_call(app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory
                   ) -> str:
    """The customer calls, the card pops from the CRM, the agent answers, types the
    tones the customer must hear, and hangs up. The call's id."""
    caller = baresip_factory(CALLER, display_name=NAME)
    caller.dial(kamailio.aor("agent"))
    app.wait_status(lambda s: (s["screen_pop"] or {}).get("source") == "crm"
                    and bool(s["calls"]), timeout=30, message="the CRM's card never came")
    _ok(app, "answer")
    caller.wait_call_established()
    call_id = _confirmed(app, "the customer's call was not confirmed")
    _ok(app, "dtmf", TONES)
    caller.wait_dtmf(TONES, timeout=20)
    _ok(app, "hangup")
    caller.wait_call_closed()
    _no_calls(app, "the customer's call is still listed")
    return call_id


def _dial_and_transfer(app: RunningApp, baresip_factory: BaresipFactory) -> str:
    """The agent calls a number and hands the call over to another one. The call's id."""
    office = baresip_factory(DIALLED, password="officepw", auto_answer=True)
    colleague = baresip_factory(TRANSFER_TO, password="colleaguepw", auto_answer=True)
    _ok(app, "dial", "021 333 4455")
    office.wait_call_established(timeout=30)
    call_id = _confirmed(app, "the dialled call was not confirmed")
    _ok(app, "transfer", TRANSFER_TO)
    colleague.wait_call_established(timeout=30)
    _no_calls(app, "the transferred call is still listed")
    return call_id


def _log_texts(app: RunningApp) -> dict[str, str]:
    """Every file the app wrote in its log directory (rotated ones too), by name."""
    return {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(app.profile.log_dir.rglob("*")) if path.is_file()}


def test_no_customer_identity_in_the_log_files(
        app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory) -> None:
    app.wait_status(lambda s: s["registration"]["state"] == "registered"
                    and s["sync"]["customers_cached"] == 9,
                    timeout=60, message="not registered and synced")
    incoming = _take_the_call(app, kamailio, baresip_factory)
    outgoing = _dial_and_transfer(app, baresip_factory)
    app.stop()  # everything flushed

    texts = _log_texts(app)
    assert {"softphone.log", "engine.log"} <= set(texts)
    for name, text in texts.items():
        folded = text.casefold()
        for forbidden in FORBIDDEN:
            assert forbidden.casefold() not in folded, f"{forbidden!r} is in {name}: " + next(
                line for line in text.splitlines() if forbidden.casefold() in line.casefold())
    # The debug log was written, and names the calls by their ids.
    engine = texts["engine.log"]
    for command in (f"Answer(call_id='{incoming}')", f"SendDtmf(call_id='{incoming}')",
                    f"Dial(call_id='{outgoing}')", f"Transfer(call_id='{outgoing}')"):
        assert f"command {command}" in engine
    assert " DEBUG " in engine and "pjsua_call.c" in engine
    # pjsip's lines about the tones are there, without the keys (one line a key).
    assert "Sending DTMF digit id <digits>" in engine
    assert not re.search(r"DTMF(?: digit)?(?: id)? [0-9A-D*#]+(?!\w)", engine)
    assert f"Screen-pop of call {incoming}: 1 match(es) from crm" in texts["softphone.log"]
