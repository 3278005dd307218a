"""The support bundle made from a real app's state holds its logs and the check report, and
none of the secrets or the customer's name planted in that state."""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest

from softphone.paths import Profile
from softphone.redact import Redactor
from softphone.settings import Settings
from softphone.support_bundle import phone_words, settings_toml
from tests.app_process import RunningApp
from tests.peers.fixtures import USERS, BaresipFactory
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port
from tests.peers.pulse import PulseAudio

CUSTOMER_NAME = "Zebulon Quartermaine"
CRM_TOKEN = "crm-token-7f3a9c1e5b"
KEPT_LINE = "Keep-me: the engine said something useful"
STRANGER = "Ottilie Brandt"  # a name no record of the app holds, without quotes


@pytest.fixture
def secrets_in_keyring() -> Iterator[None]:
    keyring.set_password("softphone", "sip", USERS["agent"])
    keyring.set_password("softphone", "crm", CRM_TOKEN)
    try:
        yield
    finally:
        for name in ("sip", "crm", "cache-key"):
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password("softphone", name)


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio, secrets_in_keyring: None
        ) -> Iterator[RunningApp]:
    running = RunningApp(tmp_path / "profile", pulse.env)
    running.configure(
        sip__uri=f"sip:agent@{kamailio.host}:{kamailio.port}",
        sip__registrar=kamailio.registrar_uri,
        sip__rtp_port=str(free_port("udp", low=10000, high=19000)),
        sip__trace="true", log__level="debug",
        audio__microphone="headset_mic", audio__speaker="headset", audio__ringer="ringer",
    )
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.mark.peers
def test_bundle_has_the_logs_and_report_but_no_secret_or_customer(
        app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory,
        tmp_path: Path) -> None:
    app.wait_registered()
    customer = baresip_factory("customer", display_name=CUSTOMER_NAME)
    customer.dial(kamailio.aor("agent"))
    app.wait_status(lambda s: bool(s["calls"]), message="no incoming call")
    assert app.cli("hangup").returncode == 0
    customer.wait_call_closed()
    app.wait_status(lambda s: not s["calls"], message="call still listed")
    history = json.loads(app.cli("history", "--json").stdout)
    assert history[0]["display_name"] == CUSTOMER_NAME
    logs = app.profile.log_dir
    assert CUSTOMER_NAME in (logs / "engine.log").read_text()  # the SIP trace has it
    with (logs / "softphone.log").open("a", encoding="utf-8") as log:
        log.write(f"2026-05-01 10:00:00,000 INFO MainThread softphone.calls: call from "
                  f"{CUSTOMER_NAME} (0720000007, zebulon@example.com) ended\n"
                  f"2026-05-01 10:00:01,000 INFO MainThread softphone.test: leaked "
                  f"{USERS['agent']} and {CRM_TOKEN} and {CUSTOMER_NAME.upper()}\n"
                  f"2026-05-01 10:00:02,000 INFO MainThread softphone.test: {KEPT_LINE}\n"
                  f"2026-05-01 10:00:03,000 INFO MainThread softphone.test: transferred to "
                  f"{STRANGER} <sip:2125550100@pbx.example.com>\n")
    cache_key = keyring.get_password("softphone", "cache-key")
    assert cache_key

    output = tmp_path / "out" / "bundle.zip"
    made = app.cli("support-bundle", "--output", str(output))
    assert made.returncode == 0, made.stderr
    assert str(output) in made.stdout

    with zipfile.ZipFile(output) as bundle:
        contents = {name: bundle.read(name).decode() for name in bundle.namelist()}
    assert {"README.txt", "version.json", "settings.toml", "diagnose.json", "diagnose.txt",
            "logs/softphone.log", "logs/engine.log"} <= set(contents)
    for name, text in contents.items():
        lowered = text.lower()
        for planted in (USERS["agent"], CRM_TOKEN, cache_key, "zebulon", "quartermaine",
                        "0720000007", STRANGER, "2125550100"):
            assert planted.lower() not in lowered, f"{planted!r} is in {name}"
    assert KEPT_LINE in contents["logs/softphone.log"]
    assert "transferred to <name> <sip:<user>@pbx.example.com>" in contents["logs/softphone.log"]
    assert "Phone engine started" in contents["logs/softphone.log"]
    assert "REGISTER sip:" in contents["logs/engine.log"]
    assert "From: <removed>" in contents["logs/engine.log"]
    report = {c["name"]: c for c in json.loads(contents["diagnose.json"])}
    assert report["registration"]["message"] == "the running app is registered"
    assert "Registration: the running app is registered" in contents["diagnose.txt"]
    assert json.loads(contents["version.json"])["softphone"]
    assert 'trace = true  # user' in contents["settings.toml"]


def test_settings_file_blanks_secrets_in_urls(tmp_path: Path) -> None:
    profile = Profile.from_dir(tmp_path)
    profile.create()
    profile.settings_file.write_text(
        '[provisioning]\nurl = "https://it:pw@it.example.com/p?token=abc"\n'
        '[sip]\nuri = "sip:1001@pbx.example.com"\n')
    text = settings_toml(Settings(profile.settings_file))
    assert 'url = "https://<removed>@it.example.com/p?token=<removed>"  # user' in text
    assert 'uri = "sip:1001@pbx.example.com"  # user' in text
    assert 'transport = "udp"  # default' in text
    assert "abc" not in text and ":pw@" not in text


def test_customer_numbers_go_however_they_are_written() -> None:
    words = phone_words("+40720000007")
    assert words == {"+40720000007", "0720 000 007", "+40 720 000 007"}
    redactor = Redactor.build([], words)
    for written in ("0720000007", "0720-000-007", "(0720) 000 007", "+40 720 000 007",
                    "phone=%2B40720000007", "tel:+40720000007"):
        assert "720" not in redactor(f"dialled {written} at 10:00"), written
    assert phone_words("201") == {"201"}  # an extension: only as written
