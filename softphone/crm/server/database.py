"""The CRM server's database: SQLite or PostgreSQL, kept current by Alembic.

Every request handler, the import and the token command open their own short session
with :meth:`Database.read` or :meth:`Database.write`, on whichever thread they run
(the server's request worker threads, or the command's main thread). Imports no Qt.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import BigInteger, Connection, DateTime, Dialect, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Execution option marking the engine whose SQLite transactions start as writers.
_WRITER = "softphone_writer"
# Any fixed number: the key of the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK = 0x50F7_C0DE


class Base(DeclarativeBase):
    pass


class Hundredths(TypeDecorator[Decimal]):
    """Money and percentages (two decimals) stored exactly, as a whole number of hundredths.

    SQLite has no exact decimal type; an integer is exact on every database.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-2)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware time stored in UTC; SQLite keeps no offset, so it is added back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def database_url(text_url: str) -> URL:
    """``text_url`` parsed; plain ``postgresql://`` means the installed psycopg 3 driver."""
    url = make_url(text_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Pool thread: set up a new SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The driver would open transactions lazily on its own; _sqlite_begin does it instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """Session thread: open an SQLite transaction.

    Writers take the write lock at BEGIN: a transaction that read first and wrote later
    would fail with "database is locked" whenever another writer committed in between.
    """
    writer = connection.get_execution_options().get(_WRITER, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def open_engine(text_url: str) -> Engine:
    """An engine for ``text_url`` (``sqlite:///FILE`` or ``postgresql+psycopg://...``)."""
    url = database_url(text_url)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ArgumentError(f"{url.get_backend_name()} is not supported (SQLite or PostgreSQL)")
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """Sessions on one database; safe to share between threads."""

    def __init__(self, text_url: str) -> None:
        self.engine = open_engine(text_url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        reader = self.engine
        if self.is_postgres:
            # One snapshot per read, so e.g. a catalogue and its version always agree.
            reader = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._read = sessionmaker(reader, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{_WRITER: True}),
                                   expire_on_commit=False)

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading, in one transaction; any thread."""
        with self._read.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that writes, committed on leaving the block; any thread."""
        with self._write.begin() as session:
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision; calling thread."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.execution_options(**{_WRITER: True}).begin() as connection:
            if self.is_postgres:
                # A server and an import starting together must not both create the tables.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()
