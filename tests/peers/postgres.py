"""A private PostgreSQL 15 server on a free loopback port, for tests.

Example::

    with PostgreSQL(tmp_path / "pg") as pg:
        engine = create_engine(pg.url)            # database "softphone", user postgres
        other = pg.create_database("second")      # its URL

initdb and postgres refuse to run as root, so as root (CI) they run as the ``postgres``
system user (created by the Debian package) through ``runuser``, in a temporary data
directory of its own under /tmp (the pytest directories are private to root). Clients
connect over TCP with trust authentication, fine for a throwaway local server. Fsync is
off: the data lives only as long as the test. The server's log is ``work_dir/postgres.log``.

Fixture: ``postgres`` (module scope), a started server; import it into a ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

import pytest

from tests.peers import procs
from tests.peers.net import LOOPBACK, free_port, wait_until
from tests.peers.procs import Peer, tail

BIN = Path("/usr/lib/postgresql/15/bin")
SYSTEM_USER = "postgres"
DATABASE = "softphone"


def _as_server_user(argv: Sequence[str]) -> list[str]:
    """``argv`` run as the postgres system user when we are root, else as ourselves."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SYSTEM_USER, "--", *argv]
    return list(argv)


class PostgreSQL(Peer):
    """PostgreSQL listening on 127.0.0.1:``port`` with a database named ``softphone``."""

    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        """Prepare (but do not start); ``work_dir`` receives the log."""
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.host = LOOPBACK
        self.port = port if port is not None else free_port("tcp")
        self.log_path = self.work_dir / "postgres.log"
        self._home: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``softphone`` database."""
        return self.url_of(DATABASE)

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def _run(self, argv: Sequence[str], as_server_user: bool = False) -> None:
        command = _as_server_user(argv) if as_server_user else list(argv)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        with self.log_path.open("a") as log:
            log.write(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")

    def _make_home(self) -> Path:
        """A fresh directory the server user owns, holding the data and the socket."""
        home = Path(tempfile.mkdtemp(prefix="softphone-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam(SYSTEM_USER)
            os.chown(home, user.pw_uid, user.pw_gid)
        return home

    def start(self) -> Self:
        """initdb, start the server, wait until it accepts connections, create the database."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        self._home = self._make_home()
        data = self._home / "data"
        self._run([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"], as_server_user=True)
        argv = _as_server_user([
            str(BIN / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self._home),
            "-c", f"listen_addresses={self.host}", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
        self._proc = procs.start(argv, self.log_path)
        wait_until(self._ready, timeout=60, interval=0.1,
                   message=lambda: f"PostgreSQL not up:\n{tail(self.log_path)}")
        self.create_database(DATABASE)
        return self

    def _ready(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise AssertionError(f"postgres exited with {self._proc.returncode}:\n"
                                 f"{tail(self.log_path)}")
        check = [str(BIN / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port)]
        return subprocess.run(check, timeout=10).returncode == 0

    def create_database(self, name: str) -> str:
        """Create database ``name``; returns its URL."""
        self._run([str(BIN / "createdb"), "-h", self.host, "-p", str(self.port),
                   "-U", "postgres", name])
        return self.url_of(name)

    def stop(self) -> None:
        """``pg_ctl stop -m fast``, then make sure the processes are gone; remove the data."""
        if self._proc is not None and self._proc.poll() is None and self._home is not None:
            # Should pg_ctl fail, procs.stop below ends the server the hard way.
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run([str(BIN / "pg_ctl"), "stop", "-D", str(self._home / "data"),
                           "-m", "fast", "-w", "-t", "30"], as_server_user=True)
        procs.stop(self._proc)
        self._proc = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
             ) -> Iterator[PostgreSQL]:
    """A started private PostgreSQL for all tests of a module; its log shown on failure."""
    failed_before = request.session.testsfailed
    server = PostgreSQL(tmp_path_factory.mktemp("postgres"))
    try:
        yield server.start()
    finally:
        server.stop()
        if request.session.testsfailed > failed_before:
            print(f"\n----- PostgreSQL log ({server.log_path}) -----\n"
                  f"{tail(server.log_path, 60)}")
