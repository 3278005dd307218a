"""The local SQLite database: one worker thread owns it, Alembic keeps its schema current.

Every session is opened and used on the worker thread (``DatabaseWorker.submit``); no
other thread touches the engine or a session. Imports no Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", future=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class DatabaseWorker:
    """The single thread that owns the database. ``submit`` from any thread."""

    def __init__(self, path: Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")
        self.path = path
        self._ready: Future[sessionmaker[Session]] = self._executor.submit(self._open)

    def _open(self) -> sessionmaker[Session]:
        """Worker thread: open the file and migrate it."""
        engine = open_engine(self.path)
        upgrade_schema(engine)
        return sessionmaker(engine, expire_on_commit=False)

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Run ``work(session)`` on the worker thread in one transaction."""
        def run() -> T:
            factory = self._ready.result()
            with factory.begin() as session:
                return work(session)

        return self._executor.submit(run)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
