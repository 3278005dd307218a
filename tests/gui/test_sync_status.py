"""The CRM connection shown in the status bar: what the agent reads in each state."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot

from softphone.gui.sync_status import SyncIndicator, describe_sync, explain_sync
from softphone.sync.service import SyncState

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_offline_with_waiting_records_says_so() -> None:
    state = SyncState("offline", "CRM unreachable, retrying in 20 s",
                      last_success=NOW - timedelta(minutes=5), outbox_waiting=2)
    assert describe_sync(state) == "CRM offline · 2 to send"
    details = explain_sync(state, NOW)
    assert "retrying in 20 s" in details
    assert "Records waiting to be sent: 2" in details
    assert "Last update: " in details


def test_online_hides_the_routine_message_and_flags_attention() -> None:
    state = SyncState("online", "Up to date", last_success=NOW, outbox_needs_attention=1)
    assert describe_sync(state) == "CRM online · 1 need attention"


def test_no_keyring_is_explained() -> None:
    state = SyncState("online", "", cache_disposable=True)
    assert "not kept" in describe_sync(state)
    assert "No keyring" in explain_sync(state, NOW)


def test_indicator_shows_server_text_literally_and_bounded(qtbot: QtBot) -> None:
    indicator = SyncIndicator()
    qtbot.addWidget(indicator)
    hostile = "<b>down</b>\n" + "x" * 5000
    indicator.show_state(SyncState("error", hostile))
    assert indicator.text() == "CRM problem"
    tooltip = indicator.toolTip()
    assert "&lt;b&gt;down&lt;/b&gt; x" in tooltip  # escaped: shown as typed
    assert len(tooltip) < 600
    assert indicator.property("level") == "error"


def test_state_from_the_sync_thread_reaches_the_indicator(qtbot: QtBot) -> None:
    from softphone.gui.sync_status import SyncBridge

    class Service:
        def __init__(self) -> None:
            self.listeners: list[object] = []

        def add_listener(self, callback: object) -> None:
            self.listeners.append(callback)

    service = Service()
    bridge = SyncBridge(service)  # type: ignore[arg-type]
    indicator = SyncIndicator()
    qtbot.addWidget(indicator)
    bridge.state_changed.connect(indicator.show_state)
    (listener,) = service.listeners
    worker = threading.Thread(target=listener, args=(SyncState("syncing", "page 3"),))  # type: ignore[arg-type]
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: indicator.property("level") == "busy", timeout=2000)
    assert "page 3" in indicator.toolTip()
