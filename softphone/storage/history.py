"""Call history, kept in the encrypted cache file: callers' names and numbers are customer
data. Imports no Qt.

Reads and writes go through the cache's database worker (``SessionWorker``); nothing here
touches a session on another thread.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from softphone.cache.files import delete_cache_files
from softphone.cache.models import CallHistoryRow

log = logging.getLogger(__name__)

T = TypeVar("T")


class SessionWorker(Protocol):
    """What owns the database: runs ``work(session)`` on its thread in one transaction."""

    def submit(self, work: Callable[[Session], T]) -> Future[T]: ...


@dataclass(frozen=True)
class HistoryEntry:
    call_id: str
    direction: str
    display_name: str
    number: str
    uri: str
    started_at: float
    answered_at: float | None
    ended_at: float
    duration_seconds: float
    outcome: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: CallHistoryRow) -> HistoryEntry:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


class CallHistory:
    """Adds and reads history entries through the database worker. Any thread."""

    def __init__(self, worker: SessionWorker) -> None:
        self._worker = worker

    def add(self, entry: HistoryEntry) -> Future[None]:
        def work(session: Session) -> None:
            session.add(CallHistoryRow(**asdict(entry)))

        future = self._worker.submit(work)
        future.add_done_callback(_log_failure)
        return future

    def add_many(self, entries: list[HistoryEntry]) -> Future[None]:
        def work(session: Session) -> None:
            session.add_all(CallHistoryRow(**asdict(entry)) for entry in entries)

        return self._worker.submit(work)

    def recent(self, limit: int = 100) -> list[HistoryEntry]:
        """The newest ``limit`` calls, newest first. Blocks until the worker answers."""
        return self.recent_async(limit).result()

    def recent_async(self, limit: int = 100) -> Future[list[HistoryEntry]]:
        """The newest ``limit`` calls, newest first, without waiting (any thread).

        The future completes on the database worker thread, after every ``add`` submitted
        before this call; its done-callbacks run on that thread.
        """
        def work(session: Session) -> list[HistoryEntry]:
            rows = session.scalars(
                select(CallHistoryRow)
                # Calls started in the same instant: the one recorded last first.
                .order_by(CallHistoryRow.started_at.desc(), CallHistoryRow.id.desc())
                .limit(limit)
            )
            return [HistoryEntry.from_row(row) for row in rows]

        return self._worker.submit(work)

    def last_dialled_async(self) -> Future[HistoryEntry | None]:
        """The newest outgoing call that named a number or address, without waiting (any
        thread); the future completes on the database worker thread."""
        def work(session: Session) -> HistoryEntry | None:
            row = session.scalars(
                select(CallHistoryRow)
                .where(CallHistoryRow.direction == "outgoing",
                       (CallHistoryRow.number != "") | (CallHistoryRow.uri != ""))
                .order_by(CallHistoryRow.started_at.desc(), CallHistoryRow.id.desc())
                .limit(1)
            ).first()
            return HistoryEntry.from_row(row) if row is not None else None

        return self._worker.submit(work)


def move_clear_history(old_file: Path, history: CallHistory) -> int:
    """Move the history an earlier version kept in a clear SQLite file into the encrypted
    cache, then delete that file. Returns how many calls moved. Main thread, at start-up.
    """
    if not old_file.exists():
        return 0
    try:
        entries = _read_clear_history(old_file)
        history.add_many(entries).result()
    except (sqlite3.Error, OSError) as exc:
        log.error("Could not move the old call history from %s: %s", old_file, exc)
        return 0
    delete_cache_files(old_file, aside=False)
    log.info("Moved %d calls of history into the encrypted cache", len(entries))
    return len(entries)


def _read_clear_history(path: Path) -> list[HistoryEntry]:
    names = [f.name for f in fields(HistoryEntry)]
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_table = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='call_history'").fetchone()
        if not has_table:
            return []
        rows = connection.execute(f"SELECT {', '.join(names)} FROM call_history")  # noqa: S608
        return [HistoryEntry(*row) for row in rows]
    finally:
        connection.close()


def _log_failure(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("Could not save a call in the history", exc_info=exc)
