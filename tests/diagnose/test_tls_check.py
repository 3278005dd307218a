"""The TLS certificate check against Kamailio's real TLS listener."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.diagnose.checks import Environment, check_tls
from softphone.paths import Profile
from softphone.settings import Settings
from tests.peers.fixtures import USERS
from tests.peers.kamailio import Kamailio
from tests.peers.tls import TestCA

pytestmark = pytest.mark.peers


@pytest.fixture
def tls_kamailio(tmp_path: Path) -> Iterator[tuple[Kamailio, Path]]:
    ca = TestCA.create(tmp_path / "ca")
    server = ca.issue(tmp_path / "server", ips=["127.0.0.1"])
    kamailio = Kamailio(USERS, tmp_path / "kamailio", tls_cert=server.cert_path,
                        tls_key=server.key_path)
    kamailio.start()
    try:
        yield kamailio, ca.cert_path
    finally:
        kamailio.stop()


def environment(tmp_path: Path, kamailio: Kamailio, ca_file: str) -> Environment:
    settings = Settings(tmp_path / "settings.toml")
    settings.set("sip.uri", "sip:agent@127.0.0.1")
    settings.set("sip.registrar", kamailio.tls_registrar_uri)
    settings.set("sip.transport", "tls")
    settings.set("sip.ca_file", ca_file)
    return Environment(Profile.from_dir(tmp_path / "profile"), settings)


def test_trusted_certificate_reports_subject_issuer_and_expiry(
        tls_kamailio: tuple[Kamailio, Path], tmp_path: Path) -> None:
    kamailio, ca_file = tls_kamailio
    outcome = check_tls(environment(tmp_path, kamailio, str(ca_file)))
    # The test certificates live two days: "expires soon" is the right warning.
    assert outcome.status == "warning"
    assert outcome.message.startswith("the certificate expires soon (")
    assert "CN=127.0.0.1" in outcome.message and "Softphone Test CA" in outcome.message
    assert outcome.details["verified"] is True
    assert outcome.details["days_left"] in (0, 1, 2)


def test_untrusted_certificate_fails_in_plain_words(
        tls_kamailio: tuple[Kamailio, Path], tmp_path: Path) -> None:
    kamailio, _ca = tls_kamailio
    outcome = check_tls(environment(tmp_path, kamailio, ""))
    assert outcome.status == "failed"
    assert outcome.message.startswith(
        "the SIP server is not trusted: its certificate was issued by an authority this "
        "computer does not trust")
    assert "CN=127.0.0.1" in outcome.message
