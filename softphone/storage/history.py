"""Call history kept in the local database. Imports no Qt."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from softphone.storage.database import Base, DatabaseWorker

log = logging.getLogger(__name__)


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


class CallRecord(Base):
    __tablename__ = "call_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(256))
    number: Mapped[str] = mapped_column(String(128))
    uri: Mapped[str] = mapped_column(String(512))
    started_at: Mapped[float] = mapped_column(Float, index=True)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float] = mapped_column(Float)
    duration_seconds: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(32))

    def entry(self) -> HistoryEntry:
        return HistoryEntry(
            call_id=self.call_id, direction=self.direction, display_name=self.display_name,
            number=self.number, uri=self.uri, started_at=self.started_at,
            answered_at=self.answered_at, ended_at=self.ended_at,
            duration_seconds=self.duration_seconds, outcome=self.outcome,
        )


class CallHistory:
    """Adds and reads history entries through the database worker. Any thread."""

    def __init__(self, worker: DatabaseWorker) -> None:
        self._worker = worker

    def add(self, entry: HistoryEntry) -> Future[None]:
        def work(session: Session) -> None:
            session.add(CallRecord(**asdict(entry)))

        future = self._worker.submit(work)
        future.add_done_callback(_log_failure)
        return future

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
                select(CallRecord).order_by(CallRecord.started_at.desc()).limit(limit)
            )
            return [row.entry() for row in rows]

        return self._worker.submit(work)

def _log_failure(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("Could not save a call in the history", exc_info=exc)
