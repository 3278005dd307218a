"""The server as a process: it says where it listens, stops cleanly, and restarts on its data."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.crm import sample
from tests.peers.crm_server import CrmServerFactory
from tests.peers.tls import TestCA

pytestmark = pytest.mark.timeout(120)


def test_stop_and_crash_then_restart_on_the_same_port_and_data(
        crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": [sample.customer("R-1")], "products": [sample.product("P")]})
    with crm.client() as client:
        created = client.post("/orders", json=sample.order("R-1", ("P", 1, "2.00")),
                              headers={"Idempotency-Key": "before-restart"})
        assert created.status_code == 201
    assert f"CRM server listening on {crm.url}" in crm.log_path.read_text()

    crm.stop()
    assert crm.returncode == 0, "SIGTERM should end the server cleanly"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{crm.api}/health", timeout=1)

    crm.start()
    crm.kill()
    crm.start()
    with crm.client() as client:
        replay = client.post("/orders", json=sample.order("R-1", ("P", 1, "2.00")),
                             headers={"Idempotency-Key": "before-restart"})
        assert replay.content == created.content
        assert client.get("/customers/R-1").status_code == 200


def test_serve_refuses_a_certificate_without_its_key(crm_server_factory: CrmServerFactory
                                                     ) -> None:
    crm = crm_server_factory(start=False)
    result = crm.command("serve", "--port", str(crm.port), "--tls-cert", "cert.pem",
                         check=False)
    assert result.returncode != 0 and "--tls-key" in result.stderr


def test_serves_https_with_the_given_certificate(crm_server_factory: CrmServerFactory,
                                                 tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path / "ca")
    crm = crm_server_factory(tls=ca.issue(tmp_path / "server", ips=["127.0.0.1"]))
    assert crm.url.startswith("https://")
    assert f"CRM server listening on {crm.url}" in crm.log_path.read_text()
    with crm.client() as client:
        assert client.get("/changes").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{crm.api}/health", timeout=5)  # not trusted without the test CA
