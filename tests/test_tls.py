"""SIP over TLS: the engine process against a real Kamailio TLS listener.

A test CA and the server's certificate are made at test time (:mod:`tests.peers.tls`).
With ``tls_verify`` on, the engine registers only when the certificate chains to
``ca_file`` (or to the system CA bundle) *and* names the server (pjsip checks the
subjectAltName against the host in the registrar URI); otherwise the registration fails
with a reason in plain words and no REGISTER is ever sent. With ``tls_verify`` off it
registers anyway and logs warnings.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from softphone import protocol as P
from softphone.engine.sip import (
    CERT_NOT_TRUSTED,
    TLS_FAILED,
    classify_registration,
    describe_cert_problem,
    tls_reason,
)
from tests.peers.baresip import Baresip
from tests.peers.engine import EngineProcess, start_agent, stop_agent
from tests.peers.fixtures import USERS
from tests.peers.kamailio import Kamailio
from tests.peers.net import LOOPBACK, free_port, free_port_range, wait_until
from tests.peers.procs import tail
from tests.peers.pulse import PulseAudio
from tests.peers.tls import ServerCert, TestCA

REGISTER_REJECTED = "SIP registration failed"  # pjsua's log line for each failed attempt


@dataclass
class TlsServer:
    """A Kamailio with a TLS listener and the test CA that signed its certificate."""

    kamailio: Kamailio
    ca: TestCA
    cert: ServerCert

    def account(
        self, *, tls_verify: bool, ca_file: str = "", host: str = LOOPBACK
    ) -> P.AccountConfig:
        return P.AccountConfig(
            uri=f"sip:agent@{host}:{self.kamailio.tls_port}",
            registrar="",
            username="",
            password=USERS["agent"],
            transport="tls",
            tls_verify=tls_verify,
            ca_file=ca_file,
            register_retry_seconds=2,
        )

    def requests_received(self, method: str) -> int:
        """How many ``method`` requests reached Kamailio's request route."""
        return self.kamailio.log_text().count(f"REQ {method} ")


class TlsServerFactory(Protocol):
    def __call__(self, ips: tuple[str, ...] = ..., dns_names: tuple[str, ...] = ...) -> TlsServer:
        """Start Kamailio with a TLS certificate for ``ips`` and ``dns_names``."""
        ...


@pytest.fixture
def tls_server_factory(tmp_path: Path) -> Iterator[TlsServerFactory]:
    """Factory starting a TLS Kamailio whose certificate names the given IPs/DNS names."""
    started: list[Kamailio] = []

    def make(ips: tuple[str, ...] = (LOOPBACK,), dns_names: tuple[str, ...] = ()) -> TlsServer:
        folder = tmp_path / f"tls-{len(started) + 1}"
        ca = TestCA.create(folder / "ca")
        cert = ca.issue(folder / "server", ips=ips, dns_names=dns_names)
        kam = Kamailio(USERS, folder / "kamailio", tls_cert=cert.cert_path, tls_key=cert.key_path)
        started.append(kam)
        kam.start()
        return TlsServer(kam, ca, cert)

    try:
        yield make
    finally:
        for kam in started:
            kam.stop()
            print(f"\n----- kamailio log -----\n{tail(kam.log_path, 40)}")


@pytest.fixture
def tls_server(tls_server_factory: TlsServerFactory) -> TlsServer:
    """A TLS Kamailio whose certificate is for 127.0.0.1."""
    return tls_server_factory()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    """A configured engine process (no audio devices chosen: registration only)."""
    started = EngineProcess(tmp_path)
    try:
        started.wait(P.EngineReady)
        rtp_first, _ = free_port_range(20)
        config = P.EngineConfig(
            sip_port=free_port("both"), rtp_port=rtp_first, rtp_port_range=20, sip_trace=True
        )
        started.send(P.Configure(config))
        started.wait(P.DevicesChanged)
        yield started
    finally:
        code = started.stop()
        print(f"\n----- engine exit {code}; log tail -----\n{tail(started.log_path, 60)}")
    assert code == 0, f"engine exited with {code}"


def _failed_registration(engine: EngineProcess) -> P.RegistrationChanged:
    """The first failed registration, after checking nothing registered before it."""
    event = engine.wait(P.RegistrationChanged, lambda e: e.state != "registering")
    assert event.state == "failed", event
    return event


def _assert_stays_unregistered(engine: EngineProcess, server: TlsServer) -> None:
    """A retry (every 2 s) is rejected too, and no REGISTER ever reached the server."""
    wait_until(
        lambda: _log(engine).count(REGISTER_REJECTED) >= 2,
        20,
        interval=0.2,
        message=lambda: f"no second attempt:\n{tail(engine.log_path, 30)}",
    )
    assert not [e for e in engine.all_of(P.RegistrationChanged) if e.state == "registered"]
    assert not server.kamailio.is_registered("agent")
    assert server.requests_received("REGISTER") == 0


def _log(engine: EngineProcess) -> str:
    return engine.log_path.read_text(errors="replace")


# --------------------------------------------------------------------------- verification on


@pytest.mark.peers
def test_registers_over_tls_trusting_the_given_ca(
    engine: EngineProcess, tls_server: TlsServer
) -> None:
    account = tls_server.account(tls_verify=True, ca_file=str(tls_server.ca.cert_path))
    engine.send(P.Register(account))
    registered = engine.wait(P.RegistrationChanged, lambda e: e.state != "registering")
    assert (registered.state, registered.code) == ("registered", 200), registered
    tls_server.kamailio.wait_registered("agent")
    assert any("transport=tls" in c.lower() for c in tls_server.kamailio.contacts("agent"))
    assert "certificate verified" in _log(engine)
    assert "verification is OFF" not in _log(engine)

    engine.send(P.Unregister())
    engine.wait(P.RegistrationChanged, lambda e: e.state == "unregistered")
    tls_server.kamailio.wait_unregistered("agent")


@pytest.mark.peers
def test_certificate_from_an_unknown_ca_is_rejected_in_plain_words(
    engine: EngineProcess, tls_server: TlsServer
) -> None:
    # ca_file empty: the system CA bundle, which does not contain the test CA.
    engine.send(P.Register(tls_server.account(tls_verify=True)))
    failed = _failed_registration(engine)
    assert failed.reason == f"{CERT_NOT_TRUSTED}: its issuer is not in the trusted CA list"
    assert failed.code == 503
    _assert_stays_unregistered(engine, tls_server)

    # IT sets the CA file: the TLS transport is re-created and the account registers.
    fixed = tls_server.account(tls_verify=True, ca_file=str(tls_server.ca.cert_path))
    engine.send(P.Register(fixed))
    engine.wait(P.RegistrationChanged, lambda e: e.state == "registered", timeout=20)
    tls_server.kamailio.wait_registered("agent")


@pytest.mark.peers
def test_certificate_for_another_name_is_rejected(
    engine: EngineProcess, tls_server_factory: TlsServerFactory
) -> None:
    # Signed by the trusted CA, but for 127.0.0.2 and sip.example.com, not 127.0.0.1.
    server = tls_server_factory(ips=("127.0.0.2",), dns_names=("sip.example.com",))
    engine.send(P.Register(server.account(tls_verify=True, ca_file=str(server.ca.cert_path))))
    failed = _failed_registration(engine)
    assert failed.reason == f"{CERT_NOT_TRUSTED}: it is issued for a different server name"
    _assert_stays_unregistered(engine, server)


@pytest.mark.peers
def test_certificate_for_the_dns_name_used_is_accepted(
    engine: EngineProcess, tls_server_factory: TlsServerFactory
) -> None:
    # Only a DNS name in the certificate; the account says "localhost", not 127.0.0.1.
    server = tls_server_factory(ips=(), dns_names=("localhost",))
    ca_file = str(server.ca.cert_path)
    engine.send(P.Register(server.account(tls_verify=True, ca_file=ca_file, host="localhost")))
    registered = engine.wait(P.RegistrationChanged, lambda e: e.state != "registering")
    assert registered.state == "registered", registered
    server.kamailio.wait_registered("agent")


@pytest.mark.peers
def test_missing_ca_file_is_reported_to_the_user(
    engine: EngineProcess, tls_server: TlsServer, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    engine.send(P.Register(tls_server.account(tls_verify=True, ca_file=str(missing))))
    error = engine.wait(P.EngineError)
    assert error.kind == "user" and str(missing) in error.message, error
    assert not tls_server.kamailio.is_registered("agent")


# --------------------------------------------------------------------------- verification off


@pytest.mark.peers
def test_verification_off_registers_with_a_warning(
    engine: EngineProcess, tls_server_factory: TlsServerFactory
) -> None:
    # Untrusted (system CA bundle) *and* for another name: registers all the same.
    server = tls_server_factory(ips=("127.0.0.2",))
    engine.send(P.Register(server.account(tls_verify=False)))
    registered = engine.wait(P.RegistrationChanged, lambda e: e.state != "registering")
    assert registered.state == "registered", registered
    server.kamailio.wait_registered("agent")
    text = _log(engine)
    assert "WARNING" in text and "TLS server certificate verification is OFF" in text
    assert "connected although its certificate is not trusted" in text
    assert "different server name" in text and "issuer is not in the trusted CA list" in text


# --------------------------------------------------------------------------- TLS 1.3 only


class _Tls13OnlyServer:
    """A TLS server that accepts only TLS 1.3 handshakes and then hangs up."""

    def __init__(self, cert: ServerCert) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.context.load_cert_chain(cert.cert_path, cert.key_path)
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port: int = self.sock.getsockname()[1]
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with contextlib.closing(conn):
                conn.settimeout(5)
                try:
                    self.context.wrap_socket(conn, server_side=True).close()
                except (OSError, ssl.SSLError) as exc:
                    self.errors.append(str(exc))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)


@pytest.mark.peers
def test_tls13_only_server_is_reported_as_too_new(engine: EngineProcess, tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path / "ca")
    server = _Tls13OnlyServer(ca.issue(tmp_path / "server"))
    try:
        account = P.AccountConfig(
            uri=f"sip:agent@{LOOPBACK}:{server.port}",
            registrar="",
            username="",
            password="x",
            transport="tls",
            ca_file=str(ca.cert_path),
            register_retry_seconds=2,
        )
        engine.send(P.Register(account))
        failed = _failed_registration(engine)
        assert failed.reason.startswith(
            f"{TLS_FAILED}: the server requires a TLS version newer than 1.2"
        ), failed
        assert any("protocol" in e.lower() for e in server.errors), server.errors
    finally:
        server.close()


# --------------------------------------------------------------------------- a call over TLS


@pytest.mark.peers
def test_call_over_tls_both_directions(
    tls_server: TlsServer, pulse: PulseAudio, tmp_path: Path
) -> None:
    """The agent on TLS, baresip on UDP: Kamailio bridges the two transports."""
    kam = tls_server.kamailio
    (tmp_path / "agent").mkdir()
    agent = start_agent(kam, tmp_path / "agent")
    customer = Baresip(
        "customer", USERS["customer"], tmp_path / "customer", (kam.host, kam.port),
        auto_answer=True,
    )  # fmt: skip
    try:
        engine = agent.engine
        account = tls_server.account(tls_verify=True, ca_file=str(tls_server.ca.cert_path))
        engine.send(P.Register(account))
        engine.wait(P.RegistrationChanged, lambda e: e.state == "registered")
        customer.start()
        customer.wait_registered()

        # Incoming: Kamailio relays the INVITE over the agent's TLS connection.
        incoming_from = Baresip(
            "second", USERS["second"], tmp_path / "second", (kam.host, kam.port)
        )
        try:
            incoming_from.start()
            incoming_from.wait_registered()
            incoming_from.dial(kam.aor("agent"))
            incoming = engine.wait(P.IncomingCall)
            engine.send(P.Answer(incoming.call_id))
            engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
            engine.wait(P.MediaStateChanged, lambda e: e.active)
            incoming_from.wait_call_established()
            engine.send(P.Hangup(incoming.call_id))
            engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
            incoming_from.wait_call_closed()
        finally:
            incoming_from.stop()

        # Outgoing: the agent's INVITE goes out over TLS.
        engine.send(P.Dial("out-tls", "customer"))
        engine.wait(P.CallStateChanged, lambda e: e.call_id == "out-tls" and e.state == "confirmed")
        customer.wait_call_established()
        engine.send(P.Hangup("out-tls"))
        engine.wait(
            P.CallStateChanged, lambda e: e.call_id == "out-tls" and e.state == "disconnected"
        )
        customer.wait_call_closed()

        # What Kamailio received from the agent came over TLS (xlog: "... from ip:port/tls").
        lines = kam.log_text().splitlines()
        assert any("REQ INVITE sip:customer@" in line and line.endswith("/tls") for line in lines)
        assert any("RPL 200 OK for INVITE" in line and line.endswith("/tls") for line in lines)
        assert not [line for line in lines if f"{LOOPBACK}:{agent.sip_port}/udp" in line]
    finally:
        customer.stop()
        stop_agent(agent)


# --------------------------------------------------------------------------- pure mapping


def test_tls_reasons_in_plain_words() -> None:
    pj_reason = "SSL certificate verification error (PJSIP_TLS_ECERTVERIF)"
    assert tls_reason(503, pj_reason) == CERT_NOT_TRUSTED
    assert tls_reason(503, pj_reason, "it has expired") == f"{CERT_NOT_TRUSTED}: it has expired"
    assert tls_reason(503, "wrong version number") == f"{TLS_FAILED} (wrong version number)"
    assert tls_reason(503, "Service Unavailable") == "Service Unavailable"
    assert tls_reason(503, "Connection refused") == "Connection refused"
    assert tls_reason(403, "Forbidden") == "Forbidden"
    event = classify_registration(503, tls_reason(503, pj_reason, "it has been revoked"), 0)
    assert (event.state, event.reason) == ("failed", f"{CERT_NOT_TRUSTED}: it has been revoked")
    assert classify_registration(503, "Connection refused", 0).reason == "server unreachable"


def test_certificate_problems_in_plain_words() -> None:
    import pjsua2 as pj

    assert describe_cert_problem(0) == ""
    both = pj.PJ_SSL_CERT_EIDENTITY_NOT_MATCH | pj.PJ_SSL_CERT_EUNTRUSTED
    assert describe_cert_problem(both) == (
        "it is issued for a different server name; its issuer is not in the trusted CA list"
    )
    assert describe_cert_problem(pj.PJ_SSL_CERT_EUNKNOWN) == "it failed verification"
