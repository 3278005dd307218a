"""The protocol channel: stdin lines to commands, secrets kept out of logs."""

from __future__ import annotations

import os
import threading

from softphone import protocol as P
from softphone.engine.channel import BadLine, CommandReader, EndOfInput, EventWriter, describe
from softphone.engine.siplog import redact


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
