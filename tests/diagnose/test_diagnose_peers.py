"""``softphone diagnose`` as IT runs it, against real Kamailio, PulseAudio, gnome-keyring
and the reference CRM server, with no app running (so it registers by itself)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest

from tests.app_process import RunningApp
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.peers.fixtures import USERS, ToneFactory
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port
from tests.peers.pulse import PulseAudio
from tests.sync.helpers import PRICE_LISTS, customers, product

pytestmark = pytest.mark.peers

CHECKS = {"configuration", "keyring", "audio_devices", "microphone", "sip_server",
          "registration", "tls_certificate", "nat", "crm", "cache", "disk"}


@pytest.fixture
def sip_password() -> Iterator[str]:
    keyring.set_password("softphone", "sip", USERS["agent"])
    try:
        yield USERS["agent"]
    finally:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password("softphone", "sip")


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    with serving_the_app(tmp_path / "crm", {"price_lists": PRICE_LISTS,
                                            "customers": customers(1, 4),
                                            "products": [product(1)]}) as server:
        yield server


@pytest.fixture
def agent(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio, sip_password: str
          ) -> RunningApp:
    """A configured profile (the app itself is not started)."""
    profile = RunningApp(tmp_path / "profile", pulse.env)
    profile.configure(
        sip__uri=f"sip:agent@{kamailio.host}:{kamailio.port}",
        sip__registrar=kamailio.registrar_uri,
        sip__rtp_port=str(free_port("udp", low=10000, high=19000)),
        audio__microphone="headset_mic", audio__speaker="headset", audio__ringer="ringer",
    )
    return profile


def diagnose(profile: RunningApp) -> tuple[int, dict[str, dict[str, Any]], float]:
    started = time.monotonic()
    result = profile.cli("diagnose", "--json")
    elapsed = time.monotonic() - started
    assert result.stdout.strip(), result.stderr
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    return result.returncode, checks, elapsed


def test_all_green_against_real_servers(agent: RunningApp, crm: CrmServer, pulse: PulseAudio,
                                        tone_wav: ToneFactory) -> None:
    agent.configure(crm__url=crm.url, calls__default_region="RO")
    synced = agent.cli("sync", "--once")
    assert synced.returncode == 0, synced.stderr
    pulse.play_into_mic(tone_wav(700.0, rate=16000, amplitude=0.3))

    code, checks, elapsed = diagnose(agent)

    assert set(checks) == CHECKS
    problems = {name: c["message"] for name, c in checks.items()
                if c["status"] not in ("ok", "skipped")}
    assert problems == {}
    assert code == 0
    assert {name for name, c in checks.items() if c["status"] == "skipped"} == {
        "tls_certificate", "nat"}
    assert checks["registration"]["details"]["register_ms"] > 0
    assert checks["sip_server"]["details"]["code"] == 200
    assert checks["audio_devices"]["details"]["microphone"]["using"] == "headset_mic"
    assert checks["cache"]["message"].endswith("last synced just now")
    assert elapsed < 30
    text = agent.cli("diagnose")
    print(text.stdout)
    assert text.returncode == 0
    assert "✓ Registration: registered in" in text.stdout
    assert USERS["agent"] not in text.stdout + json.dumps(checks)


def test_server_down_fails_in_plain_words_within_the_time_bound(
        agent: RunningApp, kamailio: Kamailio) -> None:
    kamailio.stop()
    code, checks, elapsed = diagnose(agent)
    print(f"diagnose with the SIP server down took {elapsed:.1f} s")
    print(agent.cli("diagnose").stdout)
    assert code == 1
    assert checks["sip_server"]["status"] == "failed"
    assert "nothing answers SIP at 127.0.0.1" in checks["sip_server"]["message"]
    assert checks["registration"]["status"] == "failed"
    assert elapsed < 30


def test_wrong_sip_password(agent: RunningApp) -> None:
    keyring.set_password("softphone", "sip", "not-the-password")
    code, checks, _ = diagnose(agent)
    assert code == 1
    assert checks["registration"]["status"] == "failed"
    assert "wrong password" in checks["registration"]["message"]
    assert "not-the-password" not in json.dumps(checks)


def test_wrong_crm_token_and_missing_microphone(agent: RunningApp, crm: CrmServer) -> None:
    keyring.set_password("softphone", "crm", "not-the-token")
    agent.configure(crm__url=crm.url, audio__microphone="USB Headset Mic",
                    audio__fallback_devices="")
    code, checks, _ = diagnose(agent)
    assert code == 1
    assert checks["crm"]["status"] == "failed"
    assert "the CRM refused the token" in checks["crm"]["message"]
    assert checks["audio_devices"]["status"] in ("warning", "failed")
    assert '"USB Headset Mic" is not connected' in checks["audio_devices"]["message"]
    assert "not-the-token" not in json.dumps(checks)
