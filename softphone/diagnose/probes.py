"""Network probes for the pre-shift check: SIP OPTIONS, STUN binding and TLS certificate.

The message builders and parsers are pure functions (any thread); ``sip_options_*``,
``stun_binding`` and ``tls_certificate`` block on the network for at most their
``timeout`` and run on a check's own thread. Imports no Qt.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from softphone.targets import uri_domain

DEFAULT_PORTS = {"udp": 5060, "tcp": 5060, "tls": 5061}
STUN_PORT = 3478
STUN_MAGIC = 0x2112A442
_STATUS_LINE = re.compile(r"^SIP/2\.0 (\d{3}) ?([^\r\n]*)")


class ProbeError(Exception):
    """The probe failed; the message is in plain words."""


@dataclass(frozen=True)
class Hop:
    """Where SIP requests go first: host, port and transport."""

    host: str
    port: int
    transport: str

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def first_hop(uri: str, registrar: str, proxy: str, transport: str) -> Hop:
    """The server the app talks to: the proxy if set, else the registrar (or sip.uri's
    domain). Raises ``ProbeError`` when no host can be found. Pure."""
    target = proxy or registrar or uri
    domain = uri_domain(target)
    if not domain:
        raise ProbeError("no SIP server address is set")
    params = target.lower()
    if ";transport=" in params:
        transport = params.split(";transport=", 1)[1].split(";", 1)[0].split(">", 1)[0]
    if transport not in DEFAULT_PORTS:
        transport = "udp"
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        port_text = rest.lstrip(":")
    elif domain.count(":") == 1:
        host, _, port_text = domain.partition(":")
    else:
        host, port_text = domain, ""
    if port_text and not port_text.isdigit():
        raise ProbeError(f"{domain} is not a valid server address")
    port = int(port_text) if port_text else DEFAULT_PORTS[transport]
    return Hop(host, port, transport)


# ------------------------------------------------------------------ SIP OPTIONS


def options_request(hop: Hop, local_host: str, local_port: int, from_uri: str, *,
                    call_id: str, branch: str, tag: str) -> bytes:
    """A SIP OPTIONS request to the server itself (RFC 3261 section 11). Pure."""
    proto = hop.transport.upper()
    host = f"[{hop.host}]" if ":" in hop.host else hop.host
    local = f"[{local_host}]" if ":" in local_host else local_host
    target = f"sip:{host}:{hop.port}" + ("" if hop.transport == "udp"
                                         else f";transport={hop.transport}")
    lines = [
        f"OPTIONS {target} SIP/2.0",
        f"Via: SIP/2.0/{proto} {local}:{local_port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <{from_uri}>;tag={tag}",
        f"To: <{target}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:diagnose@{local}:{local_port}>",
        "Accept: application/sdp",
        "User-Agent: Softphone pre-shift check",
        "Content-Length: 0",
        "", "",
    ]
    return "\r\n".join(lines).encode()


def parse_response(data: bytes, call_id: str) -> tuple[int, str] | None:
    """``(code, reason)`` of a SIP response to ``call_id``; None for anything else. Pure."""
    text = data.decode("utf-8", errors="replace")
    match = _STATUS_LINE.match(text)
    if match is None:
        return None
    for line in text.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() in ("call-id", "i") and value.strip() != call_id:
            return None
    return int(match.group(1)), match.group(2).strip()


def _ids() -> tuple[str, str, str]:
    token = secrets.token_hex(8)
    return f"diag-{token}", f"z9hG4bK-{token}", token[:8]


@dataclass(frozen=True)
class SipAnswer:
    code: int
    reason: str
    seconds: float
    address: str


def sip_options_udp(hop: Hop, address: str, from_uri: str, timeout: float = 4.0
                    ) -> SipAnswer:
    """Send OPTIONS over UDP to ``address`` (retransmitted as RFC 3261 says, T1 = 0.5 s)
    and wait for any response; raises ``ProbeError`` in plain words."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    call_id, branch, tag = _ids()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((address, hop.port))
        local_host, local_port = sock.getsockname()[:2]
        request = options_request(hop, local_host, local_port, from_uri, call_id=call_id,
                                  branch=branch, tag=tag)
        started = time.monotonic()
        deadline = started + timeout
        interval = 0.5
        next_send = started
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise ProbeError(f"the SIP server {hop.where} did not answer over UDP "
                                 f"within {timeout:.0f} seconds")
            if now >= next_send:
                try:
                    sock.send(request)
                except ConnectionRefusedError:
                    raise _refused(hop) from None
                next_send = now + interval
                interval = min(interval * 2, 4.0)
            sock.settimeout(max(0.01, min(next_send, deadline) - time.monotonic()))
            try:
                data = sock.recv(65535)
            except TimeoutError:
                continue
            except ConnectionRefusedError:
                raise _refused(hop) from None
            answer = parse_response(data, call_id)
            if answer is not None:
                return SipAnswer(answer[0], answer[1], time.monotonic() - started, address)


def _refused(hop: Hop) -> ProbeError:
    return ProbeError(f"nothing answers SIP at {hop.where} ({hop.transport.upper()} port "
                      "closed: is the server down?)")


def tcp_connect(hop: Hop, address: str, timeout: float = 4.0) -> tuple[socket.socket, float]:
    """A TCP connection to the server and how long connecting took; ``ProbeError``."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    started = time.monotonic()
    try:
        sock.connect((address, hop.port))
    except ConnectionRefusedError:
        sock.close()
        raise _refused(hop) from None
    except TimeoutError:
        sock.close()
        raise ProbeError(f"no connection to the SIP server {hop.where} within "
                         f"{timeout:.0f} seconds (blocked by a firewall?)") from None
    except OSError as exc:
        sock.close()
        raise ProbeError(f"cannot connect to the SIP server {hop.where} "
                         f"({exc.strerror or exc})") from None
    return sock, time.monotonic() - started


def sip_options_stream(sock: socket.socket, hop: Hop, from_uri: str, timeout: float = 2.0
                       ) -> SipAnswer | None:
    """OPTIONS over a connected TCP (or TLS) socket; None when no answer came in time."""
    call_id, branch, tag = _ids()
    local_host, local_port = sock.getsockname()[:2]
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        sock.sendall(options_request(hop, local_host, local_port, from_uri, call_id=call_id,
                                     branch=branch, tag=tag))
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    answer = parse_response(data, call_id)
    if answer is None:
        return None
    return SipAnswer(answer[0], answer[1], time.monotonic() - started,
                     str(sock.getpeername()[0]))


# ------------------------------------------------------------------ STUN (RFC 5389)


def stun_request(transaction: bytes) -> bytes:
    """A Binding Request with no attributes. Pure."""
    if len(transaction) != 12:
        raise ValueError("a STUN transaction id is 12 bytes")
    return struct.pack("!HHI", 0x0001, 0, STUN_MAGIC) + transaction


def parse_stun_response(data: bytes, transaction: bytes) -> tuple[str, int] | None:
    """The mapped address of a Binding success response to ``transaction``: from
    XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS. None when it is not such a response. Pure."""
    if len(data) < 20:
        return None
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if kind != 0x0101 or magic != STUN_MAGIC or data[8:20] != transaction:
        return None
    body = data[20:20 + length]
    mapped: tuple[str, int] | None = None
    offset = 0
    while offset + 4 <= len(body):
        attr, size = struct.unpack("!HH", body[offset:offset + 4])
        value = body[offset + 4:offset + 4 + size]
        offset += 4 + size + (-size % 4)
        if attr == 0x0020:
            return _address(value, xor=True, transaction=transaction)
        if attr == 0x0001 and mapped is None:
            mapped = _address(value, xor=False, transaction=transaction)
    return mapped


def _address(value: bytes, xor: bool, transaction: bytes) -> tuple[str, int] | None:
    if len(value) < 8:
        return None
    family, port = value[1], struct.unpack("!H", value[2:4])[0]
    raw = value[4:]
    if xor:
        port ^= STUN_MAGIC >> 16
        key = struct.pack("!I", STUN_MAGIC) + transaction
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    if family == 0x01 and len(raw) >= 4:
        return str(ipaddress.IPv4Address(raw[:4])), port
    if family == 0x02 and len(raw) >= 16:
        return str(ipaddress.IPv6Address(raw[:16])), port
    return None


def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """``host[:port]`` (IPv6 in brackets) as a pair. Pure; ValueError when malformed."""
    text = text.strip()
    for prefix in ("stun:", "stuns:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    if not host or (port and not port.isdigit()):
        raise ValueError(f"{text!r} is not host:port")
    return host, int(port) if port else default_port


@dataclass(frozen=True)
class StunAnswer:
    local: tuple[str, int]
    mapped: tuple[str, int]
    seconds: float

    @property
    def behind_nat(self) -> bool:
        return self.local != self.mapped


def stun_binding(host: str, port: int, timeout: float = 3.0) -> StunAnswer:
    """Ask the STUN server which address our UDP packets come from; ``ProbeError``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise ProbeError(f"cannot find the STUN server {host} in DNS ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    transaction = os.urandom(12)
    request = stun_request(transaction)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        local = sock.getsockname()[:2]
        started = time.monotonic()
        deadline = started + timeout
        interval, next_send = 0.5, started
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise ProbeError(f"the STUN server {host}:{port} did not answer within "
                                 f"{timeout:.0f} seconds")
            try:
                if now >= next_send:
                    sock.send(request)
                    next_send, interval = now + interval, interval * 2
                sock.settimeout(max(0.01, min(next_send, deadline) - time.monotonic()))
                data = sock.recv(2048)
            except TimeoutError:
                continue
            except ConnectionRefusedError:
                raise ProbeError(f"nothing answers STUN at {host}:{port} (port closed)"
                                 ) from None
            mapped = parse_stun_response(data, transaction)
            if mapped is not None:
                return StunAnswer((str(local[0]), int(local[1])), mapped,
                                  time.monotonic() - started)


# ------------------------------------------------------------------ TLS


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_after: datetime | None
    verified: bool
    problem: str = ""  # why verification failed, in plain words
    version: str = ""

    def days_left(self, now: datetime | None = None) -> int | None:
        if self.not_after is None:
            return None
        return int((self.not_after - (now or datetime.now(UTC))).total_seconds() // 86400)

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "issuer": self.issuer,
                "not_after": self.not_after.isoformat() if self.not_after else None,
                "days_left": self.days_left(), "verified": self.verified,
                "problem": self.problem, "tls_version": self.version}


def _name_text(name: Any) -> str:
    """``getpeercert()``'s subject/issuer tuples as ``CN=x, O=y``. Pure."""
    short = {"commonName": "CN", "organizationName": "O", "countryName": "C",
             "organizationalUnitName": "OU"}
    parts = []
    for rdn in name or ():
        for key, value in rdn:
            parts.append(f"{short.get(key, key)}={value}")
    return ", ".join(parts)


def verify_words(exc: ssl.SSLCertVerificationError) -> str:
    """Why a certificate was rejected, in plain words. Pure."""
    message = (exc.verify_message or str(exc)).lower()
    if "expired" in message:
        return "its certificate has expired"
    if "not yet valid" in message:
        return "its certificate is not valid yet (check this computer's clock)"
    if "self-signed" in message or "self signed" in message:
        return "its certificate is self-signed and not trusted"
    if "unable to get local issuer" in message or "unable to get issuer" in message:
        return "its certificate was issued by an authority this computer does not trust"
    if "hostname mismatch" in message or "ip address mismatch" in message:
        return "its certificate is for another server name"
    return f"its certificate is not trusted ({exc.verify_message or exc})"


def tls_certificate(host: str, port: int, ca_file: str, timeout: float = 5.0
                    ) -> CertificateInfo:
    """Connect with TLS (at most 1.2, like the phone engine) and verify the server's
    certificate against ``ca_file`` or the system's store; on a verify error, connect
    again without verifying to read the certificate. ``ProbeError`` when no handshake."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            not_after = cert.get("notAfter")
            return CertificateInfo(
                subject=_name_text(cert.get("subject")), issuer=_name_text(cert.get("issuer")),
                not_after=(datetime.fromtimestamp(ssl.cert_time_to_seconds(str(not_after)), UTC)
                           if not_after else None),
                verified=True, version=str(tls.version() or ""))
    except ssl.SSLCertVerificationError as exc:
        problem = verify_words(exc)
        info = _unverified(host, port, timeout)
        return CertificateInfo(info.subject, info.issuer, info.not_after, False, problem,
                               info.version)
    except ssl.SSLError as exc:
        text = str(exc)
        if "PROTOCOL_VERSION" in text.upper() or "UNSUPPORTED_PROTOCOL" in text.upper():
            raise ProbeError("the server requires a TLS version newer than 1.2, which the "
                             "phone engine cannot use") from None
        raise ProbeError(f"the TLS handshake with {host}:{port} failed ({exc.reason or text})"
                         ) from None
    except (FileNotFoundError, IsADirectoryError):
        raise ProbeError(f"the CA file {ca_file} cannot be read") from None
    except ConnectionRefusedError:
        raise ProbeError(f"nothing answers at {host}:{port} (TLS port closed)") from None
    except TimeoutError:
        raise ProbeError(f"no TLS connection to {host}:{port} within {timeout:.0f} seconds"
                         ) from None
    except OSError as exc:
        raise ProbeError(f"cannot connect to {host}:{port} ({exc.strerror or exc})") from None


def _unverified(host: str, port: int, timeout: float) -> CertificateInfo:
    """The server's certificate read without trusting it (for the report only)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
            version = str(tls.version() or "")
    except OSError:
        return CertificateInfo("", "", None, False)
    return _decode_der(der, version) if der else CertificateInfo("", "", None, False)


def _decode_der(der: bytes, version: str) -> CertificateInfo:
    try:
        from cryptography import x509
    except ImportError:  # not on every platform: the report then lacks the names
        return CertificateInfo("", "", None, False, version=version)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return CertificateInfo("", "", None, False, version=version)
    return CertificateInfo(cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
                           cert.not_valid_after_utc, False, version=version)
