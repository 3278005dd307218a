"""A small app process for the crash tests: a real ``SyncService`` on a profile.

    python -m tests.sync.app_script PROFILE URL SERVICE queue NOTE
        queue an order with NOTE, print "queued KEY", then keep running until killed
    python -m tests.sync.app_script PROFILE URL SERVICE drain
        start, wait until nothing is left to send, print the outbox as JSON, stop
    python -m tests.sync.app_script PROFILE URL - once TOKEN
        (no keyring expected) sync once with TOKEN held in memory, print the state as
        JSON, wait for a line on stdin, stop

SERVICE is the keyring service holding the CRM token and the cache key.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from softphone.paths import Profile
from softphone.secrets import CRM_TOKEN, SecretStore
from softphone.settings import Settings
from softphone.sync.service import SyncService
from tests.sync.helpers import order


def main(argv: list[str]) -> int:
    root, url, service_name, mode, *rest = argv
    profile = Profile.from_dir(Path(root))
    settings = Settings(profile.settings_file)
    settings.set("crm.url", url)
    settings.set("crm.timeout_seconds", 30)
    secrets = SecretStore(service_name) if service_name != "-" else SecretStore()
    if mode == "once":
        secrets.remember_for_session(CRM_TOKEN, rest[0])
    service = SyncService(profile, settings, secrets)
    if mode == "queue":
        item = service.queue_order(order("c1", note=rest[0])).result(10)
        service.start()
        print(f"queued {item.idempotency_key}", flush=True)
        threading.Event().wait()  # until killed
    if mode == "drain":
        service.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if service.state().connection == "online" and not service.state().outbox_waiting:
                break
            time.sleep(0.05)
        outbox = service.outbox().result(10)
        service.stop()
        print(json.dumps([item.as_json() for item in outbox]), flush=True)
        return 0
    if mode == "once":
        service.run_once()
        service.start()
        while service.state().connection != "online":
            time.sleep(0.05)
        print(json.dumps(service.state().as_json()), flush=True)
        sys.stdin.readline()
        service.stop()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
