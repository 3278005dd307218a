"""A local SQLite database owned by one worker thread, its schema kept current by Alembic.

Every session is opened and used on the worker thread (``DatabaseWorker.submit``); no
other thread touches the engine or a session. The encrypted cache (``softphone.cache``),
which also holds the call history, brings the engine factory and the migrations.
Imports no Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
EngineFactory = Callable[[Path], Engine]


def upgrade_schema(engine: Engine, migrations_dir: Path) -> None:
    """Bring the schema to the newest Alembic revision found in ``migrations_dir``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class DatabaseClosed(RuntimeError):
    """Work was handed to a database that has been closed (the app is shutting down)."""


class DatabaseWorker:
    """The single thread that owns a database. ``submit`` from any thread.

    ``engine_factory`` opens the file (on the worker thread); ``migrations_dir`` holds the
    Alembic scripts that bring it up to date.
    """

    def __init__(
        self,
        path: Path,
        *,
        engine_factory: EngineFactory,
        migrations_dir: Path,
        thread_name: str = "database",
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self.path = path
        self._engine_factory = engine_factory
        self._migrations_dir = migrations_dir
        self._engine: Engine | None = None
        self._closed = False
        self._ready: Future[sessionmaker[Session]] = self._executor.submit(self._open)

    @property
    def ready(self) -> Future[sessionmaker[Session]]:
        """Done once the database is open and migrated (or failed to open)."""
        return self._ready

    def _open(self) -> sessionmaker[Session]:
        """Worker thread: open the file and migrate it."""
        engine = self._engine_factory(self.path)
        self._engine = engine
        upgrade_schema(engine, self._migrations_dir)
        return sessionmaker(engine, expire_on_commit=False)

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Run ``work(session)`` on the worker thread in one transaction."""
        def run() -> T:
            factory = self._ready.result()
            with factory.begin() as session:
                return work(session)

        return self._queue(run)

    def call(self, work: Callable[[], T]) -> Future[T]:
        """Run ``work()`` on the worker thread, outside any session (e.g. to close files)."""
        return self._queue(work)

    def _queue(self, work: Callable[[], T]) -> Future[T]:
        """Raises ``DatabaseClosed`` once ``close`` has begun."""
        try:
            return self._executor.submit(work)
        except RuntimeError as exc:  # the executor has been shut down
            raise DatabaseClosed(f"{self.path.name} is closed") from exc

    def close(self) -> None:
        """Finish queued work, then close the database's connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._dispose)
        self._executor.shutdown(wait=True)

    def _dispose(self) -> None:
        """Worker thread: close every pooled connection so the files are released."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
