"""Pure parts of the pre-shift check, a STUN binding against a loopback responder, and the
runner's time limits."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from softphone.audiolevel import judge
from softphone.diagnose import (
    Check,
    CheckResult,
    Outcome,
    exit_status,
    format_report,
    probes,
    run_checks,
)
from softphone.diagnose.checks import level_words, uri_problem


def test_first_hop_from_uri_registrar_and_proxy() -> None:
    assert probes.first_hop("sip:1001@pbx.example.com", "", "", "udp") == probes.Hop(
        "pbx.example.com", 5060, "udp")
    assert probes.first_hop("sip:1001@pbx", "sip:reg.example.com:5080", "", "tcp") == (
        probes.Hop("reg.example.com", 5080, "tcp"))
    assert probes.first_hop("sip:1001@pbx", "", "sip:[::1];transport=tls", "udp") == (
        probes.Hop("::1", 5061, "tls"))
    with pytest.raises(probes.ProbeError):
        probes.first_hop("", "", "", "udp")


def test_uri_problems_in_plain_words() -> None:
    assert uri_problem("sip.uri", "sip:1001@pbx.example.com", need_user=True) == ""
    assert "no user part" in uri_problem("sip.uri", "sip:pbx.example.com", need_user=True)
    assert "must start with sip:" in uri_problem("sip.uri", "1001@pbx", need_user=True)
    assert "not a valid SIP address" in uri_problem("sip.uri", "sip:10 01@pbx", need_user=True)
    assert uri_problem("sip.registrar", "pbx.example.com:5080", need_user=False) == ""


def test_options_request_and_response_matching() -> None:
    hop = probes.Hop("10.0.0.1", 5060, "udp")
    request = probes.options_request(hop, "10.0.0.2", 40000, "sip:1001@pbx", call_id="c1",
                                     branch="z9hG4bK-1", tag="t1").decode()
    assert request.startswith("OPTIONS sip:10.0.0.1:5060 SIP/2.0\r\n")
    assert "Via: SIP/2.0/UDP 10.0.0.2:40000;branch=z9hG4bK-1;rport\r\n" in request
    assert request.endswith("Content-Length: 0\r\n\r\n")
    reply = b"SIP/2.0 404 Not Here\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n"
    assert probes.parse_response(reply, "c1") == (404, "Not Here")
    assert probes.parse_response(reply, "other") is None
    assert probes.parse_response(b"OPTIONS sip:x SIP/2.0\r\n\r\n", "c1") is None


def _xor_mapped(ip: str, port: int, transaction: bytes) -> bytes:
    key = struct.pack("!I", probes.STUN_MAGIC) + transaction
    raw = socket.inet_aton(ip)
    value = struct.pack("!BBH", 0, 1, port ^ (probes.STUN_MAGIC >> 16)) + bytes(
        b ^ key[i] for i, b in enumerate(raw))
    attribute = struct.pack("!HH", 0x0020, len(value)) + value
    return struct.pack("!HHI", 0x0101, len(attribute), probes.STUN_MAGIC) + transaction + attribute


def test_stun_parsing() -> None:
    transaction = bytes(range(12))
    response = _xor_mapped("203.0.113.7", 40123, transaction)
    assert probes.parse_stun_response(response, transaction) == ("203.0.113.7", 40123)
    assert probes.parse_stun_response(response, bytes(12)) is None
    assert probes.parse_stun_response(b"short", transaction) is None
    assert probes.stun_request(transaction)[:8] == b"\x00\x01\x00\x00\x21\x12\xa4\x42"


@pytest.fixture
def stun_server() -> Iterator[tuple[int, list[str]]]:
    """A loopback STUN responder that reports a fixed public address (a NAT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    mode: list[str] = ["nat"]

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            if mode[0] == "nat":
                sock.sendto(_xor_mapped("198.51.100.9", 62000, data[8:20]), peer)
            elif mode[0] == "open":
                sock.sendto(_xor_mapped(peer[0], peer[1], data[8:20]), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], mode
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def test_stun_binding_says_behind_nat_or_not(stun_server: tuple[int, list[str]]) -> None:
    port, mode = stun_server
    answer = probes.stun_binding("127.0.0.1", port)
    assert answer.behind_nat and answer.mapped == ("198.51.100.9", 62000)
    mode[0] = "open"
    assert not probes.stun_binding("127.0.0.1", port).behind_nat
    mode[0] = "silent"
    started = time.monotonic()
    with pytest.raises(probes.ProbeError, match="did not answer"):
        probes.stun_binding("127.0.0.1", port, timeout=1.0)
    assert time.monotonic() - started < 3


def test_microphone_levels_in_words() -> None:
    t = np.arange(16000) / 16000
    assert level_words(np.zeros(16000))[0:2] == (
        "warning", "the microphone is silent: check that it is plugged in and not muted")
    assert level_words(0.3 * np.sin(2 * np.pi * 440 * t))[0] == "ok"
    status, words, _ = level_words(np.clip(3 * np.sin(2 * np.pi * 440 * t), -1, 1))
    assert status == "warning" and "clips" in words


def test_runner_reports_as_they_finish_and_bounds_a_hung_check() -> None:
    release = threading.Event()

    def hangs() -> CheckResult | Outcome:
        release.wait(30)
        return Outcome("ok", "late")

    def fails() -> CheckResult | Outcome:
        raise Outcome("failed", "nothing answers", port=1)

    def breaks() -> CheckResult | Outcome:
        raise RuntimeError("bug")

    checks = [Check("hung", "Hung", hangs, 0.5), Check("bad", "Bad", fails, 5),
              Check("bug", "Bug", breaks, 5),
              Check("fine", "Fine", lambda: Outcome("ok", "yes"), 5)]
    seen: list[str] = []
    started = time.monotonic()
    try:
        results = run_checks(checks, lambda r: seen.append(r.name))
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert [r.name for r in results] == ["hung", "bad", "bug", "fine"]
    assert seen[-1] == "hung"
    assert (results[0].status, results[0].message) == ("failed", "no answer within 0.5 seconds")
    assert results[1].details == {"port": 1}
    assert results[2].status == "failed" and "bug" in results[2].message
    assert exit_status(results) == 1
    assert exit_status(results[3:]) == 0
    report = format_report(results)
    assert "✗ Bad: nothing answers" in report and "✓ Fine: yes" in report


def test_pre_shift_check_and_audio_test_judge_the_same_sound_alike() -> None:
    """The check records floats, the engine 16-bit samples: one verdict for one sound."""
    t = np.arange(16000) / 16000
    sounds = {
        "silent": np.zeros(16000),
        "ok": 0.3 * np.sin(2 * np.pi * 440 * t),
        # 0.7 % of the samples at full scale: a hot microphone, not a clipping one.
        "hot": np.where(np.arange(16000) % 150 == 0, 1.0, 0.3 * np.sin(2 * np.pi * 440 * t)),
        "clipping": np.clip(3 * np.sin(2 * np.pi * 440 * t), -1, 1),
    }
    expected = {"silent": "warning", "ok": "ok", "hot": "ok", "clipping": "warning"}
    for name, sound in sounds.items():
        as_int16 = np.round(sound * 32767).astype(np.int16)
        assert level_words(sound)[0] == expected[name], name
        assert level_words(as_int16)[:2] == level_words(sound)[:2], name
        engine_verdict = judge(as_int16, speech_expected=False).verdict
        assert (engine_verdict == "ok") == (expected[name] == "ok"), name
