"""Opening the cache file with SQLCipher, with the key from the OS keyring.

The key is 256 random bits, kept in the keyring as hex (``CACHE_KEY``) and handed to
SQLCipher as a raw key, so no passphrase derivation slows each connection. Without a
working keyring the key lives in memory for this run only and the cache is
"disposable": it is rebuilt from the CRM at the next start. Either way nothing reaches the
disk in clear: pages, the WAL and temporary tables are encrypted or held in memory.

Functions here run on the cache's database worker thread unless they say otherwise.
Imports no Qt.
"""

from __future__ import annotations

import logging
import re
import secrets as random_source
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError

from softphone.secrets import CACHE_KEY, SecretStore

log = logging.getLogger(__name__)

_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
# SQLite keeps these beside the database; they hold its pages (encrypted) too.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
ASIDE_MARK = ".unreadable-"


@dataclass(frozen=True)
class CacheKey:
    hex: str = ""
    disposable: bool = False

    def __repr__(self) -> str:  # never print the key itself
        return f"CacheKey(disposable={self.disposable})"


def new_key_hex() -> str:
    return random_source.token_hex(32)


def load_key(secret_store: SecretStore) -> CacheKey:
    """The cache key from the keyring, created on first use. Any thread (blocks on D-Bus)."""
    if not secret_store.available():
        log.warning("No keyring: the customer cache is kept for this run only")
        return CacheKey(new_key_hex(), disposable=True)
    stored = secret_store.get(CACHE_KEY)
    if stored and _HEX_KEY.fullmatch(stored):
        return CacheKey(stored, disposable=False)
    key = new_key_hex()
    if not secret_store.set(CACHE_KEY, key):
        log.warning("Could not save the cache key: the customer cache is kept for this run only")
        return CacheKey(key, disposable=True)
    return CacheKey(key, disposable=False)


def cache_files(path: Path, aside: bool = True) -> list[Path]:
    """The database, its companions and (with ``aside``) copies moved aside. Any thread."""
    files = [path, *(path.with_name(path.name + suffix) for suffix in COMPANION_SUFFIXES)]
    if aside and path.parent.exists():
        files += sorted(path.parent.glob(f"{path.name}{ASIDE_MARK}*"))
    return files


def delete_cache_files(path: Path, aside: bool = True) -> int:
    """Delete the cache, its WAL/SHM and (with ``aside``) unreadable copies. Any thread.
    Returns how many files existed."""
    removed = 0
    for file in cache_files(path, aside):
        try:
            file.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def move_aside(path: Path, reason: str) -> None:
    """Rename a cache this run cannot decrypt, keeping it (encrypted) in case the key
    comes back: it may hold records not yet sent to the CRM."""
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{random_source.token_hex(3)}"
    for suffix in ("", *COMPANION_SUFFIXES):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(path.with_name(f"{path.name}{ASIDE_MARK}{stamp}{suffix}"))
    log.error("The customer cache %s cannot be opened (%s); it was moved aside and a new "
              "one is started. Records not yet sent may be in the old file.", path, reason)


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Fails here, at the first read, when the key is wrong or the file is not a database.
    cursor.execute("SELECT count(*) FROM sqlite_master")
    cursor.execute("PRAGMA temp_store=MEMORY")  # no temporary files in clear
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # the outbox must survive a power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB: keeps the phone index hot
    cursor.close()


def _engine(path: Path, key: CacheKey) -> Engine:
    # The dialect sends ``PRAGMA key="x'HEX'"``: a raw 256-bit key, no derivation.
    url = URL.create("sqlite+pysqlcipher", password=f"x'{key.hex}'", database=str(path))
    engine = create_engine(url)
    event.listen(engine, "connect", _pragmas)
    return engine


def _cannot_decrypt(exc: DatabaseError) -> bool:
    text = str(exc.orig).lower()
    return "file is not a database" in text or "database disk image is malformed" in text


def open_encrypted(path: Path, key: CacheKey) -> Engine:
    """Open (or create) the cache at ``path`` with ``key``.

    A file this key cannot decrypt (another key, a lost keyring, corruption) is moved aside
    and a new one started; other failures (disk full, permissions) are raised.
    """
    if not _HEX_KEY.fullmatch(key.hex):
        raise ValueError("a cache key is 64 lowercase hex digits")
    path.parent.mkdir(parents=True, exist_ok=True)
    if key.disposable and path.exists():
        move_aside(path, "the key is in no keyring")
    engine = _engine(path, key)
    try:
        with engine.connect():
            pass
    except DatabaseError as exc:
        engine.dispose()
        if not _cannot_decrypt(exc):
            raise
        move_aside(path, str(exc.orig))
        engine = _engine(path, key)
    return engine
