"""The running app keeps its customer cache in step with a real CRM server and says how.

The app is started as an agent starts it (``python -m softphone``), with the reference CRM
server as a real process; the keyring is the private gnome-keyring of tests/run.sh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app_process import RunningApp, running
from tests.peers.crm_server import CrmServer, serving_the_app
from tests.sync.helpers import PRICE_LISTS, customers, product

pytestmark = pytest.mark.peers


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    with serving_the_app(tmp_path / "crm", {
        "price_lists": PRICE_LISTS,
        "customers": customers(1, 41, company="Nguyễn Trading"),
        "products": [product(n) for n in range(1, 6)],
    }) as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, crm: CrmServer) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path / "profile", {})
    app.configure(crm__url=crm.url, sync__interval_seconds="5", calls__default_region="RO")
    with running(app, tail=60) as started:
        yield started


def sync_state(app: RunningApp) -> dict[str, Any]:
    sync = app.status()["sync"]
    assert isinstance(sync, dict)
    return sync


def test_app_syncs_goes_offline_and_comes_back(app: RunningApp, crm: CrmServer) -> None:
    online = app.wait_status(
        lambda s: s["sync"]["connection"] == "online" and s["sync"]["customers_cached"] == 40,
        timeout=60, message="the app never finished its first sync")
    assert online["sync"]["last_success"] is not None
    assert online["sync"]["outbox_waiting"] == 0

    # The agent looks a number up the way a customer says it, while the app runs.
    found = app.cli("customers", "find", "0720 000 007", "--json")
    assert found.returncode == 0, found.stderr
    (customer,) = json.loads(found.stdout)
    assert customer["id"] == "c7"
    assert customer["company"] == "Nguyễn Trading"

    refused = app.cli("data", "wipe")
    assert refused.returncode != 0
    assert "quit it first" in refused.stderr

    crm.kill()
    offline = app.wait_status(lambda s: s["sync"]["connection"] == "offline", timeout=60,
                              message="the app never noticed the CRM was gone")
    assert "unreachable" in offline["sync"]["message"].lower()
    # The cache keeps working offline.
    assert offline["sync"]["customers_cached"] == 40
    assert app.cli("customers", "find", "+40720000007").returncode == 0

    crm.start()
    crm.import_data({"customers": customers(41, 46), "delete_customers": ["c1"]})
    app.wait_status(
        lambda s: s["sync"]["connection"] == "online" and s["sync"]["customers_cached"] == 44,
        timeout=90, message="the app never caught up after the CRM came back")
    gone = app.cli("customers", "find", "+40720000001", "--json")
    assert json.loads(gone.stdout) == []
