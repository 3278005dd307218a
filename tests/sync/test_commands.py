"""``softphone sync --once``, ``customers find`` and ``data wipe`` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.paths import Profile
from softphone.secrets import CRM_TOKEN, SecretStore
from softphone.settings import Settings
from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.net import LOOPBACK, free_port
from tests.sync.helpers import customer, customers, order

REPO = Path(__file__).resolve().parents[2]
US_SHAPES = ["+12125550100", "+1 212 555 0100", "(212) 555-0100", "212-555-0100",
             "212.555.0100", "001 212 555 0100", "+1 (212) 555-0100", "1 212 555 0100"]
UK_SHAPES = ["020 7946 0018", "+44 20 7946 0018", "0044 20 7946 0018", "(020) 7946-0018"]


def softphone(profile: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "softphone", "--profile", str(profile), *args]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60,
                          cwd=REPO, env=os.environ.copy())


def configure(profile: Path, url: str, token: str, region: str = "US") -> None:
    """Settings file and keyring entry as ``config set`` / ``credentials set`` leave them."""
    settings = Settings(Profile.from_dir(profile).settings_file)
    for key, value in (("crm.url", url), ("crm.timeout_seconds", 2),
                       ("calls.default_region", region)):
        settings.set(key, value)
    assert SecretStore().set(CRM_TOKEN, token)


@pytest.fixture
def crm(crm_server_factory: CrmServerFactory) -> CrmServer:
    server = crm_server_factory()
    server.import_data({"customers": [
        *customers(0, 30),
        customer(100, name="Mai Nguyễn", phones=["+12125550100"]),
        customer(101, name="Eszter Kovács", phones=["+442079460018"]),
    ]})
    return server


def test_sync_find_and_wipe(tmp_path: Path, crm: CrmServer) -> None:
    profile = tmp_path / "profile"
    configure(profile, crm.url, crm.token)
    synced = softphone(profile, "sync", "--once", "--json")
    assert synced.returncode == 0, synced.stderr
    summary = json.loads(synced.stdout)
    assert (summary["customers_changed"], summary["full_walk"]) == (32, True)
    assert summary["cursor"]
    text = softphone(profile, "sync", "--once")
    assert text.returncode == 0 and "Customers: 0 changed" in text.stdout

    for shape in (US_SHAPES[2], US_SHAPES[5]):
        found = softphone(profile, "customers", "find", shape, "--json")
        assert found.returncode == 0, found.stderr
        assert [(c["id"], c["name"]) for c in json.loads(found.stdout)] == [
            ("c100", "Mai Nguyễn")], shape
    # Every shape, through the same lookup in this process (a CLI start per shape is slow).
    assert _found_in_process(profile, US_SHAPES, "US") == {"c100"}
    assert _found_in_process(profile, UK_SHAPES, "GB") == {"c101"}
    Settings(Profile.from_dir(profile).settings_file).set("calls.default_region", "GB")
    found = softphone(profile, "customers", "find", UK_SHAPES[0], "--json")
    assert [c["id"] for c in json.loads(found.stdout)] == ["c101"]
    assert json.loads(softphone(profile, "customers", "find", "+40 21 000 0000",
                                "--json").stdout) == []
    assert softphone(profile, "customers", "find", "not a number").returncode != 0

    wiped = softphone(profile, "data", "wipe")
    assert wiped.returncode == 0, wiped.stderr
    assert [p.name for p in (profile / "data").iterdir() if p.name.startswith("cache")] == []
    assert json.loads(softphone(profile, "customers", "find", UK_SHAPES[0],
                                "--json").stdout) == []


def _found_in_process(profile: Path, shapes: list[str], region: str) -> set[str]:
    """Ids found for each shape; every shape must find exactly one customer."""
    root = Profile.from_dir(profile)
    settings = Settings(root.settings_file)
    settings.set("calls.default_region", region)
    service = SyncService(root, settings, SecretStore())
    try:
        results = {shape: service.find_customers(shape).result(10) for shape in shapes}
    finally:
        service.stop()
    assert all(len(found) == 1 for found in results.values()), results
    return {found[0].id for found in results.values()}


def test_sync_once_says_why_it_failed(tmp_path: Path,
                                     crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    profile = tmp_path / "profile"
    configure(profile, f"http://{LOOPBACK}:{free_port('tcp')}", crm.token)
    down = softphone(profile, "sync", "--once")
    assert down.returncode != 0
    assert "the CRM is unreachable" in down.stderr
    configure(profile, crm.url, "not-the-token")
    refused = softphone(profile, "sync", "--once")
    assert refused.returncode != 0
    assert "the CRM refused the token" in refused.stderr


def test_wipe_keeps_unsent_records_unless_forced(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    configure(profile, f"http://{LOOPBACK}:{free_port('tcp')}", "token")  # CRM down
    root = Profile.from_dir(profile)
    service = SyncService(root, Settings(root.settings_file), SecretStore())
    try:
        service.queue_order(order("c1")).result(10)
    finally:
        service.stop()

    refused = softphone(profile, "data", "wipe")
    assert refused.returncode != 0
    assert "1 record(s) have not reached the CRM" in refused.stderr
    assert root.cache_file.exists()

    forced = softphone(profile, "data", "wipe", "--force")
    assert forced.returncode == 0, forced.stderr
    assert not root.cache_file.exists()
