"""The reference CRM server (``softphone crm serve``) as a real process, for end-to-end tests.

Example::

    with CrmServer(tmp_path / "crm") as crm:
        crm.import_data({"customers": [...], "products": [...]})
        with crm.client() as client:
            client.get("/customers/lookup", params={"phone": "+12125550100"})
        crm.stop()
        crm.start()  # the same port and database again

The token is created with ``softphone crm token`` before the first start. The server's
output, and that of every ``crm`` command run here, goes to ``work_dir/crm-server.log``.

Fixtures (import them into a ``conftest.py`` to use them):

* ``crm_server_factory`` -- function scope;
  ``make(db_url=None, start=True, tls=None) -> CrmServer``;
  every server made is stopped at teardown and its log shown when the test failed.
* ``crm_server`` -- module scope: one started server on SQLite shared by a module's tests.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, Self

import httpx
import keyring
import pytest

from tests.peers import procs
from tests.peers.net import LOOPBACK, free_port, wait_until
from tests.peers.procs import Peer, tail
from tests.peers.tls import ServerCert

REPO = Path(__file__).resolve().parents[2]
API_PREFIX = "/api/v1"
IMPORT_HEADER = {"format": "softphone-crm-import", "version": 1}


class CrmCommandError(AssertionError):
    """A ``softphone crm`` command failed; the message has its output."""


class PortTaken(AssertionError):
    """The server could not bind its port: another process has it."""


class CrmServer(Peer):
    """``softphone crm serve`` on 127.0.0.1:``port`` over the database at ``db_url``."""

    def __init__(self, work_dir: Path, db_url: str | None = None, port: int | None = None,
                 tls: ServerCert | None = None) -> None:
        """Prepare (but do not start); the default database is an SQLite file in work_dir.

        With ``tls`` (see :mod:`tests.peers.tls`) it serves HTTPS, and :attr:`verify`
        trusts the certificate's CA.
        """
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or f"sqlite:///{self.work_dir / 'crm.sqlite3'}"
        self.host = LOOPBACK
        self.tls = tls
        self.verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(tls.ca_path)) if tls is not None else True)
        # A port we picked may be taken by another process before the server binds it;
        # until the first start succeeds, another one is tried then.
        self._port_may_change = port is None
        self._use_port(port if port is not None else free_port("tcp"))
        self.log_path = self.work_dir / "crm-server.log"
        self.token = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._files = 0
        self._log_offset = 0

    def _use_port(self, port: int) -> None:
        self.port = port
        self.url = f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"
        self.api = self.url + API_PREFIX

    @property
    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header with :attr:`token`."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status of the last server process, None while it runs."""
        return None if self._proc is None else self._proc.poll()

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on :attr:`api` sending the token."""
        kwargs.setdefault("timeout", 15.0)
        kwargs.setdefault("verify", self.verify)
        return httpx.Client(base_url=self.api, headers=self.headers, **kwargs)

    def command(self, *args: str, check: bool = True, timeout: float = 180.0
                ) -> subprocess.CompletedProcess[str]:
        """Run ``softphone crm ARGS --db db_url``; raises CrmCommandError if it fails."""
        argv = [sys.executable, "-m", "softphone", "crm", *args, "--db", self.db_url]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                cwd=REPO)
        with self.log_path.open("a") as log:
            log.write(f"$ crm {' '.join(args)}\n{result.stdout}{result.stderr}")
        if check and result.returncode != 0:
            raise CrmCommandError(f"crm {' '.join(args)} exited with {result.returncode}:\n"
                                  f"{result.stdout}{result.stderr}")
        return result

    def create_token(self, name: str) -> str:
        """A new API token (``softphone crm token NAME``)."""
        return self.command("token", name).stdout.strip()

    def import_file(self, path: Path, *options: str, check: bool = True
                    ) -> subprocess.CompletedProcess[str]:
        """``softphone crm import PATH OPTIONS``."""
        return self.command("import", str(path), *options, check=check)

    def import_data(self, data: Mapping[str, Any], check: bool = True
                    ) -> subprocess.CompletedProcess[str]:
        """Import ``data``: the import document, ``format`` and ``version`` added if absent."""
        self._files += 1
        path = self.work_dir / f"import-{self._files}.json"
        path.write_text(json.dumps({**IMPORT_HEADER, **data}, default=str))
        return self.import_file(path, check=check)

    def start(self) -> Self:
        """Start the server (creating the token first, once) and wait for /health."""
        if self.running:
            return self
        if not self.token:
            self.token = self.create_token("tests")
        for attempt in range(3):
            try:
                self._start_once()
            except PortTaken:
                if not self._port_may_change or attempt == 2:
                    raise
                self._use_port(free_port("tcp"))
            else:
                self._port_may_change = False  # restarts must keep the clients' address
                return self
        raise AssertionError("unreachable")

    def _start_once(self) -> None:
        argv = [sys.executable, "-m", "softphone", "crm", "serve", "--db", self.db_url,
                "--host", self.host, "--port", str(self.port)]
        if self.tls is not None:
            argv += ["--tls-cert", str(self.tls.cert_path), "--tls-key", str(self.tls.key_path)]
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._proc = procs.start(argv, self.log_path, cwd=REPO)
        wait_until(self._healthy, timeout=30, interval=0.1,
                   message=lambda: f"CRM server not up:\n{tail(self.log_path)}")

    def _healthy(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                if b"address already in use" in log.read().lower():
                    raise PortTaken(self.port)
            raise AssertionError(f"CRM server exited with {self._proc.returncode}:\n"
                                 f"{tail(self.log_path)}")
        try:
            response = httpx.get(f"{self.api}/health", timeout=1.0, verify=self.verify)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL; safe to call repeatedly."""
        procs.stop(self._proc, grace=10.0)

    def kill(self) -> None:
        """SIGKILL the server: a crash, no shutdown of any kind."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)
        procs.stop(self._proc)


@contextmanager
def serving_the_app(work_dir: Path, data: Mapping[str, Any]) -> Iterator[CrmServer]:
    """A started server holding ``data``, its token in the app's keyring entry (``crm``).

    The server is stopped and the keyring entry removed at the end.
    """
    server = CrmServer(work_dir)
    try:
        server.start()
        server.import_data(data)
        keyring.set_password("softphone", "crm", server.token)
        try:
            yield server
        finally:
            keyring.delete_password("softphone", "crm")
    finally:
        server.stop()


class CrmServerFactory(Protocol):
    """Signature of the ``crm_server_factory`` fixture."""

    def __call__(self, *, db_url: str | None = None, start: bool = True,
                 tls: ServerCert | None = None) -> CrmServer: ...


def show_log_if_failed(request: pytest.FixtureRequest, failed_before: int,
                       server: CrmServer) -> None:
    """Print the tail of ``server``'s log when a test failed since ``failed_before``."""
    if request.session.testsfailed > failed_before:
        print(f"\n----- CRM server log ({server.log_path}) -----\n{tail(server.log_path, 60)}")


@pytest.fixture
def crm_server_factory(tmp_path: Path, request: pytest.FixtureRequest
                       ) -> Iterator[CrmServerFactory]:
    """Factory of CRM servers, each in its own directory; all stopped at teardown."""
    made: list[CrmServer] = []
    failed_before = request.session.testsfailed

    def make(*, db_url: str | None = None, start: bool = True, tls: ServerCert | None = None
             ) -> CrmServer:
        server = CrmServer(tmp_path / f"crm-{len(made) + 1}", db_url=db_url, tls=tls)
        made.append(server)
        return server.start() if start else server

    try:
        yield make
    finally:
        for server in made:
            server.stop()
            show_log_if_failed(request, failed_before, server)


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
               ) -> Iterator[CrmServer]:
    """One started CRM server on SQLite for all tests of a module."""
    failed_before = request.session.testsfailed
    server = CrmServer(tmp_path_factory.mktemp("crm"))
    try:
        yield server.start()
    finally:
        server.stop()
        show_log_if_failed(request, failed_before, server)
