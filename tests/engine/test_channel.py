"""The protocol channel: stdin lines to commands, secrets kept out of logs."""

from __future__ import annotations

import logging
import os
import threading

import pjsua2 as pj
import pytest

from softphone import protocol as P
from softphone.engine.channel import BadLine, CommandReader, EndOfInput, EventWriter, describe
from softphone.engine.report import _drop as report_drop
from softphone.engine.report import report_bug, set_sink
from softphone.engine.siplog import PjLogWriter, redact
from softphone.supervisor import line_shape


def read_all(data: bytes) -> list[object]:
    read_fd, write_fd = os.pipe()
    reader = CommandReader(read_fd)
    reader.start()

    def feed() -> None:
        os.write(write_fd, data)
        os.close(write_fd)

    threading.Thread(target=feed).start()
    items: list[object] = []
    while not isinstance(item := reader.queue.get(timeout=10), EndOfInput):
        items.append(item)
    os.close(read_fd)
    return items


def test_commands_bad_lines_and_end_of_input() -> None:
    data = (
        P.encode(P.Hangup("c1"))
        + b"\n   \nnot json\n"
        + P.encode(P.EngineReady(pid=1, version="x"))
        + b"x" * (P.MAX_LINE_BYTES + 10)
        + b"\n"
        + P.encode(P.Mute(True)).rstrip(b"\n")  # last line without newline
    )
    items = read_all(data)
    assert items[0] == P.Hangup("c1")
    assert isinstance(items[1], BadLine) and "JSON" in items[1].error
    assert isinstance(items[2], BadLine) and "event" in items[2].error
    assert isinstance(items[3], BadLine) and "long" in items[3].error
    assert len(items) == 4  # an unterminated last line is not a command


def test_writer_writes_whole_lines() -> None:
    read_fd, write_fd = os.pipe()
    writer = EventWriter(write_fd)
    writer.start()
    events = [P.MuteChanged(muted=i % 2 == 0) for i in range(200)]
    for event in events:
        writer.emit(event)
    writer.close()
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        lines = stream.read().splitlines()
    assert [P.decode(line) for line in lines] == events


def test_register_is_described_without_password() -> None:
    account = P.AccountConfig(uri="sip:a@b", registrar="", username="a", password="s3cret!")
    text = describe(P.Register(account))
    assert "s3cret" not in text and "sip:a@b" in text


def test_sip_trace_redaction() -> None:
    message = (
        "REGISTER sip:pbx SIP/2.0\r\n"
        'Authorization: Digest username="a", realm="r", nonce="n", response="abc123"\r\n'
        'proxy-authorization: Digest response="def456"\r\n'
        "X-Debug: password=hunter2; auth_pass=hunter3\r\n"
    )
    cleaned = redact(message)
    for secret in ("abc123", "def456", "hunter2", "hunter3"):
        assert secret not in cleaned
    assert "REGISTER sip:pbx SIP/2.0" in cleaned


# ----------------------------------------------------------- customer identity in the log

def pj_entry(level: int, msg: str) -> pj.LogEntry:
    entry = pj.LogEntry()
    entry.level = level
    entry.msg = msg
    return entry


@pytest.mark.parametrize(("level", "line", "kept"), [
    (3, '[CONFIRMED] To: "Ottilie Brandt" <sip:0720000007@pbx>;tag=a1b2',
     '[CONFIRMED] To: "<name>" <sip:<user>@pbx>;tag=a1b2'),
    (4, "Making call with acc #0 to sip:0213334455@pbx:5060",
     "Making call with acc #0 to sip:<user>@pbx:5060"),
    (4, "Transferring call 1 to sip:+40319876543@pbx", "Transferring call 1 to sip:<user>@pbx"),
    (5, "Port 3 (sip:jane.doe@pbx) stop transmitting to port 1 (softphone-sound-card)",
     "Port 3 (sip:<user>@pbx) stop transmitting to port 1 (softphone-sound-card)"),
    (4, "Call 0 sending DTMF 1234# using RFC2833 method",
     "Call 0 sending DTMF <digits> using RFC2833 method"),
    (4, "Call 0 dialing DTMF 4*2", "Call 0 dialing DTMF <digits>"),
    (5, "strm0x55997b3e0948 Sending DTMF digit id 7",
     "strm0x55997b3e0948 Sending DTMF digit id <digits>"),
    (5, "Received DTMF digit 9, vol=10", "Received DTMF digit <digits>, vol=10"),
    (2, "Call to: Jane Doe <sip:0720000007@pbx>: Invalid URI",
     "Call to: <name> <sip:<user>@pbx>: Invalid URI"),
    # pjsip's object names stay whole, whatever digits they hold.
    (5, "tsx0x55a7ae600198 .Incoming Response msg 200/INVITE/cseq=54199 (rdata0x55a7ae123456)",
     "tsx0x55a7ae600198 .Incoming Response msg 200/INVITE/cseq=54199 (rdata0x55a7ae123456)"),
    (4, "Call 0: DTMF sent successfully with INFO", "Call 0: DTMF sent successfully with INFO"),
])
def test_pjsip_lines_are_logged_without_the_parties_or_the_digits(
        level: int, line: str, kept: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pjsip")
    for sip_trace in (False, True):
        caplog.clear()
        PjLogWriter(sip_trace).write(pj_entry(level, line))
        assert [record.getMessage() for record in caplog.records] == [kept]


def test_raw_sip_messages_are_written_only_with_the_trace_on(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pjsip")
    for sender in ("", "   pjsua_core.c ...."):
        caplog.clear()
        message = (f"{sender}RX 512 bytes Request msg INVITE/cseq=1 (rdata0x1) from UDP "
                   '10.0.0.1:5060:\nINVITE sip:agent@pbx SIP/2.0\n'
                   'From: "Ottilie Brandt" <sip:0720000007@pbx>\n--end msg--')
        PjLogWriter(False).write(pj_entry(4, message))
        assert caplog.records == []
        PjLogWriter(True).write(pj_entry(4, message))
        assert [record.getMessage() for record in caplog.records] == [message]


def test_a_bad_line_from_the_engine_is_logged_by_its_shape() -> None:
    line = b'{"type":"IncomingCall","remote":{"display_name":"Ottilie Brandt"}}\n'
    assert line_shape(line) == '{"aaaa":'
    assert line_shape("+40 Zoë\n".encode()) == "+99_aaa_"
    assert line_shape(b"") == ""


def test_an_event_dropped_early_is_logged_by_type_and_call(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="softphone.engine.report")
    report_drop(P.IncomingCall("in-7", P.RemoteParty("Ottilie Brandt", "0720000007")))
    (record,) = caplog.records
    assert record.getMessage() == "event dropped before the sink was set: IncomingCall of call in-7"


def test_a_bug_is_reported_without_the_numbers_its_text_quotes(
        caplog: pytest.LogCaptureFixture) -> None:
    events: list[P.Event] = []
    set_sink(events.append)
    try:
        report_bug("dial", ValueError('bad target "Ottilie Brandt" <sip:0213334455@pbx>'))
    finally:
        set_sink(report_drop)
    (event,) = events
    assert isinstance(event, P.EngineError) and event.kind == "bug"
    for text in (event.message, event.details, caplog.text):
        assert "0213334455" not in text and "Ottilie" not in text
    assert "Internal error in dial: bad target" in event.message
