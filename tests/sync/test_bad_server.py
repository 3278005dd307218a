"""A CRM that sends bad answers or none: the service shows a clear error, keeps the cache
as it was and stays responsive."""

from __future__ import annotations

import json
import time
from pathlib import Path

from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServerFactory
from tests.peers.faults import FakeCrm, SilentServer, http_reply
from tests.peers.net import wait_until
from tests.sync.helpers import customers, phone_of, profile_for, secrets_with

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
