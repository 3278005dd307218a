"""The History tab reads the database in the background: the GUI thread never waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.gui.main_window import MainWindow
from softphone.storage.history import HistoryEntry
from tests.gui.harness import PhoneHarness
from tests.gui.test_main_window import on_call

WAIT_MS = 5000


@pytest.fixture
def blocked_database(harness: PhoneHarness) -> Iterator[threading.Event]:
    """Keeps the database worker busy until the returned event is set (or the test ends)."""
    release = threading.Event()
    started = threading.Event()

    def hold(_session: object) -> None:
        started.set()
        release.wait(timeout=30)

    harness.database.submit(hold)
    assert started.wait(timeout=10), "the database worker did not start"
    try:
        yield release
    finally:
        release.set()


def count_reads(harness: PhoneHarness, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the limit of every history read the GUI asks for."""
    limits: list[int] = []
    original = harness.history.recent_async

    def recording(limit: int = 100) -> Future[list[HistoryEntry]]:
        limits.append(limit)
        return original(limit)

    monkeypatch.setattr(harness.history, "recent_async", recording)
    return limits


def test_history_fills_after_a_call_without_blocking_the_gui(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, blocked_database: threading.Event
) -> None:
    on_call(qtbot, harness, window)
    harness.hang_up("c1")  # call_ended asks for the history while the worker is busy
    qtbot.waitUntil(lambda: window.call_list.count() == 0)
    window.refresh_history()  # returns although the worker cannot answer yet
    assert window.history.loading
    assert window.history.topLevelItemCount() == 0

    blocked_database.set()
    qtbot.waitUntil(lambda: window.history.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert [entry.call_id for entry in window.history.entries()] == ["c1"]
    qtbot.waitUntil(lambda: not window.history.loading, timeout=WAIT_MS)


def test_refreshes_asked_for_during_a_read_become_one_more_read(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow,
    monkeypatch: pytest.MonkeyPatch, blocked_database: threading.Event,
) -> None:
    qtbot.waitUntil(lambda: not window.history.loading, timeout=WAIT_MS)
    reads = count_reads(harness, monkeypatch)
    for _ in range(5):
        window.history.refresh(7)
    assert reads == [7]
    window.history.refresh(9)

    blocked_database.set()
    qtbot.waitUntil(lambda: not window.history.loading, timeout=WAIT_MS)
    assert reads == [7, 9]


def test_rows_are_built_on_the_gui_thread(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.waitUntil(lambda: not window.history.loading, timeout=WAIT_MS)
    threads: list[QThread] = []
    original = window.history.set_entries

    def recording(entries: list[HistoryEntry]) -> None:
        threads.append(QThread.currentThread())
        original(entries)

    monkeypatch.setattr(window.history, "set_entries", recording)
    on_call(qtbot, harness, window)
    harness.hang_up("c1")
    qtbot.waitUntil(lambda: window.history.topLevelItemCount() == 1, timeout=WAIT_MS)
    app = QApplication.instance()
    assert app is not None
    assert threads and all(thread is app.thread() for thread in threads)


def test_a_failed_read_shows_a_banner_and_keeps_the_rows(
    qtbot: QtBot, harness: PhoneHarness, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_call(qtbot, harness, window)
    harness.hang_up("c1")
    qtbot.waitUntil(lambda: window.history.topLevelItemCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.history.loading, timeout=WAIT_MS)

    def failing(limit: int = 100) -> Future[list[HistoryEntry]]:
        def read(_session: object) -> list[HistoryEntry]:
            raise OSError("disk I/O error")

        return harness.database.submit(read)

    monkeypatch.setattr(harness.history, "recent_async", failing)
    window.refresh_history()
    qtbot.waitUntil(lambda: window.banners.banner("history") is not None, timeout=WAIT_MS)
    assert window.history.topLevelItemCount() == 1
