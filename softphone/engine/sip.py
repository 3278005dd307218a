"""pjsua2 endpoint, transports and the SIP account.

Everything here runs on the main (pjsua) thread: the endpoint is created there with
``threadCnt = 0`` and ``mainThreadOnly = True``, and the callbacks of ``PhoneAccount``
arrive there from ``Endpoint.libHandleEvents``.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Protocol

import pjsua2 as pj

from softphone.engine.report import guarded
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.protocol import AccountConfig, EngineConfig, RegistrationChanged
from softphone.targets import uri_domain, uri_user

log = logging.getLogger(__name__)

SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
AUTH_FAILED_CODES = frozenset({401, 403, 407})
UNREACHABLE_CODES = frozenset({408, 480, 500, 502, 503, 504})

# pjsua reports a REGISTER that failed on the TLS transport as code 503 with pjsip's error
# text as the reason; prm.status and AccountInfo.regLastErr are 0 then (measured), so the
# text is all there is: "SSL certificate verification error (PJSIP_TLS_ECERTVERIF)" for a
# rejected certificate, OpenSSL's own words for a failed handshake (e.g. "tlsv1 alert
# protocol version" from a TLS-1.3-only server: the bundled OpenSSL 1.0.2 stops at 1.2).
_TLS_WORDS = re.compile(
    r"PJSIP_TLS_|\bssl|\btls|handshake|alert|certificate|cipher|wrong version number",
    re.IGNORECASE,
)
CERT_NOT_TRUSTED = "server certificate not trusted"
TLS_FAILED = "secure (TLS) connection to the server failed"

# pj_ssl_cert_verify_flag_t bits -> why the certificate is not trusted, in plain words.
_CERT_PROBLEMS = (
    (pj.PJ_SSL_CERT_EIDENTITY_NOT_MATCH, "it is issued for a different server name"),
    (pj.PJ_SSL_CERT_EVALIDITY_PERIOD, "it has expired or is not valid yet"),
    (pj.PJ_SSL_CERT_EREVOKED, "it has been revoked"),
    (
        pj.PJ_SSL_CERT_EISSUER_NOT_FOUND | pj.PJ_SSL_CERT_EUNTRUSTED,
        "its issuer is not in the trusted CA list",
    ),
    (pj.PJ_SSL_CERT_EINVALID_PURPOSE, "it is not meant for a server"),
    (pj.PJ_SSL_CERT_EWEAK_SIGNATURE, "its signature is too weak"),
)


# --------------------------------------------------------------------------- TLS


def describe_cert_problem(verify_status: int) -> str:
    """Why a server certificate is not trusted (``pj_ssl_cert_verify_flag_t`` bits; pure)."""
    found = [words for bits, words in _CERT_PROBLEMS if verify_status & bits]
    if not found and verify_status:
        found.append("it failed verification")
    return "; ".join(found)


class _TlsMemo:
    """Why the last TLS connection failed verification, for the registration reason.

    pjsua reports the failed REGISTER only as ``503`` with ``PJSIP_TLS_ECERTVERIF``; the
    transport state callback, which comes first, knows why (pj_ssl_cert_verify_flag_t).
    Module state because pjsua has one endpoint per process.
    """

    problem = ""


def tls_reason(code: int, reason: str, problem: str = "") -> str:
    """A failed registration's reason with TLS failures in plain words (pure).

    ``code`` and ``reason`` are pjsua's; ``problem`` says why a certificate was rejected, if
    known. Other failures keep ``reason``.
    """
    if code != 503 or not _TLS_WORDS.search(reason):
        return reason
    if "(PJSIP_TLS_ECERTVERIF)" in reason:
        return f"{CERT_NOT_TRUSTED}: {problem}" if problem else CERT_NOT_TRUSTED
    if "protocol version" in reason:
        return f"{TLS_FAILED}: the server requires a TLS version newer than 1.2 ({reason})"
    return f"{TLS_FAILED} ({reason})"


class _Endpoint(pj.Endpoint):  # type: ignore[misc]
    """The pjsua2 endpoint; watches TLS connections for certificate problems."""

    @guarded
    def onTransportState(self, prm: Any) -> None:
        info = prm.tlsInfo
        if str(prm.type).upper() != "TLS" or info.isEmpty():
            return
        status = int(info.verifyStatus)
        peer = str(info.remoteAddr)
        if not status:
            if prm.state == pj.PJSIP_TP_STATE_CONNECTED:
                _TlsMemo.problem = ""
                log.info("TLS to %s: certificate verified, cipher %s", peer, info.cipherName)
            return
        problem = describe_cert_problem(status)
        details = "; ".join(str(m) for m in info.verifyMsgs)
        if prm.state == pj.PJSIP_TP_STATE_CONNECTED:
            log.warning(
                "TLS to %s connected although its certificate is not trusted (%s): "
                "certificate verification is off (%s)",
                peer, problem, details,
            )  # fmt: skip
            return
        _TlsMemo.problem = problem
        log.warning("TLS to %s rejected: %s: %s (%s)", peer, CERT_NOT_TRUSTED, problem, details)


# --------------------------------------------------------------------------- endpoint


class SipStack:
    """The pjsua2 endpoint and its transports (main thread)."""

    def __init__(self, config: EngineConfig, log_writer: pj.LogWriter) -> None:
        self.config = config
        self.ep = _Endpoint()
        self._log_writer = log_writer
        self.transport_ids: dict[str, int] = {}
        self._tls_settings: tuple[bool, str] | None = None
        self.sip_port = 0

    def start(self) -> None:
        """libCreate, libInit, transports, null sound device, libStart."""
        self.ep.libCreate()
        self.ep.libInit(self._ep_config())
        self._create_transports()
        self.ep.audDevManager().setNullDev()
        self.ep.libStart()
        log.info("pjsua2 %s started, SIP port %d", self.ep.libVersion().full, self.sip_port)

    def _ep_config(self) -> Any:
        cfg = self.config
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.userAgent = cfg.user_agent
        level = max(cfg.log_level, 4 if cfg.sip_trace else 0)
        ep_cfg.logConfig.writer = self._log_writer
        ep_cfg.logConfig.level = level
        # pjsua hands the writer only entries up to consoleLevel; with a writer set
        # nothing is printed on the console itself.
        ep_cfg.logConfig.consoleLevel = level
        ep_cfg.logConfig.msgLogging = bool(cfg.sip_trace)
        ep_cfg.logConfig.decor = pj.PJ_LOG_HAS_SENDER | pj.PJ_LOG_HAS_INDENT
        ep_cfg.medConfig.clockRate = cfg.sample_rate
        ep_cfg.medConfig.sndClockRate = cfg.sample_rate
        ep_cfg.medConfig.channelCount = 1
        ep_cfg.medConfig.audioFramePtime = 20
        ep_cfg.medConfig.noVad = True
        ep_cfg.medConfig.ecTailLen = 0
        return ep_cfg

    def _create_transports(self) -> None:
        udp = pj.TransportConfig()
        udp.port = self.config.sip_port
        try:
            self.transport_ids["udp"] = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, udp)
        except pj.Error as exc:
            log.error("UDP transport on port %d: %s", udp.port, exc.info())
            raise EnvironmentalError(
                f"SIP port {udp.port} is already in use by another program."
            ) from None
        info = self.ep.transportGetInfo(self.transport_ids["udp"])
        self.sip_port = int(str(info.localName).rsplit(":", 1)[1])
        tcp = pj.TransportConfig()
        tcp.port = self.sip_port
        try:
            self.transport_ids["tcp"] = self.ep.transportCreate(pj.PJSIP_TRANSPORT_TCP, tcp)
        except pj.Error as exc:
            log.warning("TCP on port %d failed (%s); using any port", self.sip_port, exc.info())
            tcp.port = 0
            self.transport_ids["tcp"] = self.ep.transportCreate(pj.PJSIP_TRANSPORT_TCP, tcp)

    def ensure_tls(self, verify: bool, ca_file: str) -> None:
        """Create (or re-create with new settings) the TLS transport."""
        settings = (verify, ca_file or SYSTEM_CA_FILE)
        if verify and ca_file and not os.path.isfile(ca_file):
            raise UserFacingError(f"The CA certificate file {ca_file} does not exist.")
        if self._tls_settings == settings:
            return
        if not verify:
            log.warning(
                "TLS server certificate verification is OFF: the connection is encrypted "
                "but anyone in the network path can pretend to be the SIP server"
            )
        elif not os.path.isfile(settings[1]):
            log.warning("CA bundle %s not found: no TLS server will be trusted", settings[1])
        if "tls" in self.transport_ids:
            self.ep.transportClose(self.transport_ids.pop("tls"))
        _TlsMemo.problem = ""
        tls = pj.TransportConfig()
        tls.port = 0
        tls.tlsConfig.verifyServer = verify
        tls.tlsConfig.verifyClient = False
        if os.path.isfile(settings[1]):
            tls.tlsConfig.CaListFile = settings[1]
        self.transport_ids["tls"] = self.ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tls)
        self._tls_settings = settings

    def set_stun_servers(self, servers: list[str]) -> None:
        vector = pj.StringVector()
        for server in servers:
            vector.append(server)
        self.ep.natUpdateStunServers(vector, False)

    def handle_ip_change(self) -> None:
        """Re-create transports and re-register; calls are kept (re-INVITE)."""
        self.ep.handleIpChange(pj.IpChangeParam())

    def poll(self, max_ms: int) -> None:
        self.ep.libHandleEvents(max_ms)

    def destroy(self) -> None:
        """libDestroy (also after a failed start)."""
        self.ep.libDestroy()


# --------------------------------------------------------------------------- account


def _sip_uri(address: str, transport: str, lr: bool = False) -> str:
    """``sip:host[:port]`` with ``;transport=`` for TCP/TLS (and ``;lr`` for proxies)."""
    text = address.strip()
    uri = text if text.lower().startswith(("sip:", "sips:")) else f"sip:{text}"
    if transport != "udp" and ";transport=" not in uri.lower():
        uri += f";transport={transport}"
    if lr and ";lr" not in uri.lower():
        uri += ";lr"
    return uri


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def registrar_domain(account: AccountConfig) -> str:
    """The domain numbers are dialled at: the domain of the account's URI."""
    return uri_domain(account.uri) or uri_domain(account.registrar)


_TRANSPORT_TYPES = {"tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}


def transport_id(kind: str) -> int:
    """pjsua's id of the "tcp" or "tls" transport (``PJSUA_INVALID_ID`` if there is none)."""
    ep = pj.Endpoint.instance()
    for candidate in ep.transportEnum():
        if ep.transportGetInfo(candidate).type == _TRANSPORT_TYPES[kind]:
            return int(candidate)
    return int(pj.PJSUA_INVALID_ID)


def account_config(account: AccountConfig, engine: EngineConfig) -> Any:
    """A ``pj.AccountConfig`` for ``account`` (after libInit). Never logs the password."""
    cfg = pj.AccountConfig()
    uri = account.uri if account.uri.lower().startswith(("sip:", "sips:")) else f"sip:{account.uri}"
    cfg.idUri = f"{_quoted(account.display_name)} <{uri}>" if account.display_name else uri
    registrar = account.registrar or uri_domain(uri)
    cfg.regConfig.registrarUri = _sip_uri(registrar, account.transport)
    cfg.regConfig.timeoutSec = max(60, account.register_expires_seconds)
    retry = max(1, account.register_retry_seconds)
    cfg.regConfig.retryIntervalSec = retry
    cfg.regConfig.firstRetryIntervalSec = min(retry, 4)
    cfg.regConfig.randomRetryIntervalSec = 1
    username = account.username or uri_user(uri)
    cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, account.password))
    if account.proxy:
        cfg.sipConfig.proxies.append(_sip_uri(account.proxy, account.transport, lr=True))
    if account.transport in _TRANSPORT_TYPES:
        # Bound to its transport, or calls to sip:number@domain (no ;transport=) would go
        # out over UDP.
        cfg.sipConfig.transportId = transport_id(account.transport)
    stun = pj.PJSUA_STUN_USE_DEFAULT if account.stun else pj.PJSUA_STUN_USE_DISABLED
    cfg.natConfig.sipStunUse = stun
    cfg.natConfig.mediaStunUse = stun
    cfg.mediaConfig.transportConfig.port = engine.rtp_port
    cfg.mediaConfig.transportConfig.portRange = engine.rtp_port_range
    cfg.callConfig.timerUse = pj.PJSUA_SIP_TIMER_OPTIONAL
    return cfg


def classify_registration(code: int, reason: str, expiration: int) -> RegistrationChanged:
    """A registration outcome in plain words (pure)."""
    if 200 <= code < 300:
        if expiration > 0:
            return RegistrationChanged("registered", "", code)
        return RegistrationChanged("unregistered", "", code)
    if reason.startswith((CERT_NOT_TRUSTED, TLS_FAILED)):
        return RegistrationChanged("failed", reason, code)
    if code in AUTH_FAILED_CODES:
        return RegistrationChanged("failed", "authentication failed", code)
    if code in UNREACHABLE_CODES or code < 100 or code >= 600:
        return RegistrationChanged("failed", "server unreachable", code)
    return RegistrationChanged("failed", f"server refused the registration ({code} {reason})", code)


class RegistrationListener(Protocol):
    def registration_started(self, renew: bool) -> None: ...
    def registration_state(self, code: int, reason: str, expiration: int) -> None: ...
    def incoming_call(self, pj_call_id: int, message: str) -> None: ...


class PhoneAccount(pj.Account):  # type: ignore[misc]
    """The SIP account; its callbacks run on the main (pjsua) thread."""

    def __init__(self, listener: RegistrationListener) -> None:
        super().__init__()
        self.listener = listener

    @guarded
    def onRegStarted(self, prm: Any) -> None:
        self.listener.registration_started(bool(prm.renew))

    @guarded
    def onRegState(self, prm: Any) -> None:
        code = int(prm.code)
        reason = tls_reason(code, str(prm.reason), _TlsMemo.problem)
        self.listener.registration_state(code, reason, int(prm.expiration))

    @guarded
    def onIncomingCall(self, prm: Any) -> None:
        self.listener.incoming_call(int(prm.callId), str(prm.rdata.wholeMsg))
