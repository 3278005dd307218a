"""A CRM that sends bad answers or none: the service shows a clear error, keeps the cache
as it was and stays responsive; a write the CRM accepted with an answer that cannot be
read does not hold up the records behind it."""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from softphone.cache.store import QUEUED, SENT
from softphone.crm.schema import CallLogCreate
from softphone.sync.runner import UNREAD_ANSWER
from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.faults import (
    FakeCrm,
    SilentServer,
    _closing,
    _Listener,
    _read_raw_request,
    http_reply,
)
from tests.peers.net import LOOPBACK, wait_until
from tests.sync.helpers import (
    customers,
    order,
    orders_with_note,
    phone_of,
    product,
    profile_for,
    secrets_with,
    sync_service,
)

GOOD_PAGE = {"changes": [], "next_cursor": "1", "has_more": False}
BAD_ANSWERS = {
    "malformed JSON": b'{"changes": [{"id": "c1", "customer": {',
    "invalid changes.0.customer": json.dumps(
        {**GOOD_PAGE, "changes": [{"id": "c1", "customer": {"id": 5, "name": ["x"]}}]}).encode(),
    "too large": b'{"changes": [], "next_cursor": "' + b"7" * (10 * 1024 * 1024) + b'"}',
}


def _answers_quickly(service: SyncService) -> bool:
    started = time.monotonic()
    found = service.find_customers(phone_of(3)).result(2)
    state = service.state()
    return ([c.id for c in found] == ["c3"] and state.customers_cached == 20
            and time.monotonic() - started < 0.5)


def test_bad_answers_and_silence_leave_the_cache_intact(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": customers(0, 20)})
    profile, settings = profile_for(tmp_path / "app", crm.url)
    service = SyncService(profile, settings, secrets_with(crm.token))
    try:
        service.start()
        wait_until(lambda: service.state().connection == "online", timeout=20)
        assert service.state().customers_cached == 20
        for reason, body in BAD_ANSWERS.items():
            with FakeCrm(lambda _l, _b, body=body: http_reply(200, body)) as fake:
                settings.set("crm.url", fake.url)
                service.sync_now()
                wait_until(lambda reason=reason: reason in service.state().message,
                           timeout=10, message=lambda: service.state().message)
                assert service.state().connection == "error"
                assert _answers_quickly(service)
        with SilentServer() as silent:
            settings.set("crm.url", silent.url)
            service.sync_now()
            wait_until(lambda: service.state().message == "Syncing with the CRM",
                       timeout=5)
            assert _answers_quickly(service)  # while the sync thread waits for an answer
            wait_until(lambda: service.state().connection == "offline", timeout=5)  # 2 s timeout
            assert service.state().message.startswith("CRM unreachable, retrying in ")
        settings.set("crm.url", crm.url)
        service.sync_now()
        wait_until(lambda: service.state().connection == "online", timeout=20)
        assert _answers_quickly(service)
    finally:
        service.stop()


class GarblingProxy(_Listener):
    """A proxy in front of the CRM passing every exchange through, except that the answer to
    a request whose body holds ``marker`` keeps its status and headers and gets ``garbage``
    for a body, every time (as a CRM with a bug in that answer would: replays with the same
    key get the same answer). ``garbled`` counts those answers."""

    def __init__(self, upstream_port: int, marker: bytes, garbage: bytes) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.marker = marker
        self.garbage = garbage
        self.garbled = 0

    def handle(self, conn: socket.socket) -> None:
        request = _read_raw_request(conn)
        if request is None:
            return
        with socket.create_connection((LOOPBACK, self.upstream_port), timeout=30) as up:
            up.sendall(_closing(request))
            reply = _read_to_end(up)
        if self.marker in request.partition(b"\r\n\r\n")[2]:
            self.garbled += 1
            reply = _with_body(reply, self.garbage)
        conn.sendall(reply)


def _read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _with_body(reply: bytes, body: bytes) -> bytes:
    """``reply`` (a whole HTTP answer) with ``body`` in place of its own."""
    head = reply.partition(b"\r\n\r\n")[0]
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith((b"content-length:", b"transfer-encoding:"))]
    return b"\r\n".join([*lines, b"Content-Length: %d" % len(body)]) + b"\r\n\r\n" + body


def _crm_with_data(factory: CrmServerFactory) -> CrmServer:
    crm = factory()
    crm.import_data({"customers": customers(0, 5), "products": [product(1)]})
    return crm


def _settled(service: SyncService) -> bool:
    state = service.state()
    return (state.connection == "online" and state.outbox_waiting == 0
            and all(item.status != QUEUED for item in service.outbox().result(10)))


GARBAGE = b"\x1b[31m<html>\r\nInternal template error</html>"


def test_an_accepted_write_with_an_unreadable_answer_lets_the_next_ones_go(
        tmp_path: Path, crm_server_factory: CrmServerFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="softphone.sync.runner")
    crm = _crm_with_data(crm_server_factory)
    with GarblingProxy(crm.port, b"garbled answer", GARBAGE) as proxy, \
            sync_service(tmp_path / "app", proxy.url, secrets_with(crm.token)) as service:
        garbled = service.queue_order(order("c1", note="garbled answer")).result(10)
        behind = [service.queue_order(order("c1", note="behind")).result(10).id,
                  service.queue_call_log(CallLogCreate(
                      customer_id="c2", direction="inbound", duration_seconds=30,
                      started_at=datetime.now(UTC), disposition="order taken")).result(10).id]
        service.start()
        wait_until(lambda: _settled(service), timeout=30, message=lambda: str(service.state()))
        items = {item.id: item for item in service.outbox().result(10)}
        assert proxy.garbled == 1  # accepted once, not sent again
        assert service.state().outbox_needs_attention == 0
    unread = items[garbled.id]
    assert (unread.status, unread.server_id, unread.message) == (SENT, None, UNREAD_ANSWER)
    assert all(items[i].status == SENT and items[i].server_id for i in behind)
    assert len(orders_with_note(crm, "garbled answer")) == 1
    assert len(orders_with_note(crm, "behind")) == 1
    (warning,) = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert f"outbox item {garbled.id} (order, key {garbled.idempotency_key})" in warning
    assert "status 201" in warning
    assert warning.endswith("The answer began: \\x1b[31m<html>\\r\\nInternal template error</html>")


@pytest.mark.parametrize(("status", "body", "connection"), [
    # Not the CRM: a web server at the address answering everything, health too.
    (201, b"<html>Welcome</html>", "error"),
    (429, b'{"code": "slow_down", "message": "Too many requests"}', "offline"),
])
def test_a_record_waits_until_the_crm_itself_takes_it(
        tmp_path: Path, crm_server_factory: CrmServerFactory, status: int, body: bytes,
        connection: str) -> None:
    crm = _crm_with_data(crm_server_factory)
    profile, settings = profile_for(tmp_path / "app", crm.url)
    service = SyncService(profile, settings, secrets_with(crm.token))
    try:
        with FakeCrm(lambda _l, _b: http_reply(status, body)) as fake:
            settings.set("crm.url", fake.url)
            item = service.queue_order(order("c1", note="waits")).result(10)
            service.start()
            wait_until(lambda: (service.state().connection == connection
                                and "retrying in" in service.state().message),
                       timeout=15, message=lambda: str(service.state()))
            (waiting,) = service.outbox().result(10)
            assert waiting.status == QUEUED
            assert waiting.attempts >= 1  # more when a retry came since
            assert (service.state().outbox_waiting, service.state().outbox_needs_attention
                    ) == (1, 0)
        settings.set("crm.url", crm.url)
        service.sync_now()
        wait_until(lambda: _settled(service), timeout=30, message=lambda: str(service.state()))
        (sent,) = service.outbox().result(10)
        assert (sent.id, sent.status) == (item.id, SENT)
        assert sent.server_number
    finally:
        service.stop()
    assert len(orders_with_note(crm, "waits")) == 1
