"""The outbox against the real CRM server: refused records wait for the agent while the
next ones go, a lost reply is retried without a duplicate, and an app killed before
sending sends after its restart, exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from softphone.cache.store import NEEDS_ATTENTION, QUEUED, SENT
from softphone.crm.schema import CallLogCreate
from softphone.secrets import CACHE_KEY
from softphone.sync.service import SyncService
from tests.peers import procs
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.faults import FaultProxy
from tests.peers.net import wait_until
from tests.sync.helpers import (
    customers,
    order,
    orders_with_note,
    product,
    secrets_with,
    sync_service,
)

REPO = Path(__file__).resolve().parents[2]


def _server_with_data(factory: CrmServerFactory) -> CrmServer:
    crm = factory()
    crm.import_data({"customers": customers(0, 5), "products": [product(1), product(2)]})
    return crm


def _settled(service: SyncService) -> bool:
    return all(item.status != QUEUED for item in service.outbox().result())


def test_refused_record_waits_for_the_agent_and_the_next_ones_go(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _server_with_data(crm_server_factory)
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token)) as service:
        service.start()
        first = service.queue_order(order("c1", note="first")).result()
        refused = service.queue_order(order("c1", sku="NO-SUCH-SKU", note="refused")).result()
        call = CallLogCreate(customer_id="c2", direction="inbound", duration_seconds=30,
                             started_at=datetime.now(UTC), disposition="order taken")
        logged = service.queue_call_log(call).result()
        wait_until(lambda: _settled(service), timeout=20)
        items = {item.id: item for item in service.outbox().result()}
        assert items[first.id].status == SENT
        assert items[first.id].server_number
        assert items[logged.id].status == SENT
        assert items[refused.id].status == NEEDS_ATTENTION
        assert "NO-SUCH-SKU" in items[refused.id].message or "sku" in items[refused.id].message
        wait_until(lambda: service.state().outbox_needs_attention == 1, timeout=5)
        assert service.state().outbox_waiting == 0
    assert len(orders_with_note(crm, "first")) == 1
    assert orders_with_note(crm, "refused") == []


def test_a_lost_reply_is_retried_without_a_duplicate(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _server_with_data(crm_server_factory)
    with FaultProxy(crm.port) as proxy, \
            sync_service(tmp_path / "app", proxy.url, secrets_with(crm.token)) as service:
        proxy.drop_replies(1)
        item = service.queue_order(order("c1", note="lost reply")).result()
        service.start()  # the outbox goes first: the order's reply is the one lost
        wait_until(lambda: _settled(service), timeout=20)
        assert proxy.dropped == 1
        (sent,) = service.outbox().result()
        assert (sent.id, sent.status, sent.attempts) == (item.id, SENT, 2)
    assert len(orders_with_note(crm, "lost reply")) == 1


def _app(tmp_path: Path, url: str, service: str, *args: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "tests.sync.app_script", str(tmp_path / "app"), url, service,
            *args]
    return procs.start(argv, None, cwd=REPO)


def test_app_killed_before_sending_sends_once_after_restart(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _server_with_data(crm_server_factory)
    secrets = secrets_with(crm.token)
    with FaultProxy(crm.port) as proxy:
        proxy.hold = True  # the order's request never reaches the server
        app = _app(tmp_path, proxy.url, secrets.service, "queue", "crash")
        try:
            assert app.stdout is not None
            line = app.stdout.readline().decode()
            assert line.startswith("queued "), line
            wait_until(lambda: proxy.held >= 1, timeout=15)
            app.kill()  # SIGKILL: no shutdown of any kind
            app.wait(10)
        finally:
            procs.stop(app)
        assert orders_with_note(crm, "crash") == []
        proxy.hold = False
        app = _app(tmp_path, proxy.url, secrets.service, "drain")
        try:
            out, _ = app.communicate(timeout=60)
        finally:
            procs.stop(app)
        outbox = json.loads(out.decode().strip().splitlines()[-1])
        assert [(item["status"], item["idempotency_key"]) for item in outbox] == [
            ("sent", line.split()[1])]
    assert len(orders_with_note(crm, "crash")) == 1
    secrets.delete(CACHE_KEY)


def test_no_keyring_makes_a_disposable_cache_with_nothing_in_clear(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": customers(0, 40, name="Quentin Marvelwright")})
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    argv = [sys.executable, "-m", "tests.sync.app_script", str(tmp_path / "app"), crm.url, "-",
            "once", crm.token]
    app = subprocess.Popen(argv, cwd=REPO, env={**os.environ, **env}, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert app.stdout is not None and app.stdin is not None
        state = json.loads(app.stdout.readline())
        assert state["cache_disposable"] is True
        assert state["customers_cached"] == 40
        files = list((tmp_path / "app" / "data").iterdir())
        assert any(f.name == "cache.sqlite3" for f in files)
        for file in files:
            assert b"Marvelwright" not in file.read_bytes(), file
        app.stdin.write(b"\n")
        app.stdin.close()
        assert app.wait(15) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert not (tmp_path / "app" / "data" / "cache.sqlite3").exists()
