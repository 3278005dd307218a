"""A real Kamailio registrar + proxy with digest authentication on a free loopback port.

Example::

    with Kamailio({"agent": "agentpw"}, tmp_path / "kamailio") as kam:
        ...  # register a UA at kam.registrar_uri
        kam.wait_registered("agent", timeout=15)

With ``tls_cert`` and ``tls_key`` (PEM files, see :mod:`tests.peers.tls`) it also listens
for SIP over TLS on 127.0.0.1:``tls_port`` (``kam.tls_registrar_uri``).

Kamailio runs in the foreground (``-DD -E``) in its own process group so that
:meth:`Kamailio.stop` ends it and all its workers; its log is ``work_dir/kamailio.log``.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.peers import kamailio_cfg, procs
from tests.peers.net import LOOPBACK, free_port, wait_until
from tests.peers.procs import Peer

KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = "/usr/sbin/kamcmd"
# sun_path is 108 bytes; keep a margin for "unix:" and the NUL byte.
_MAX_SOCKET_PATH = 100


class KamailioError(RuntimeError):
    """Kamailio failed to check its config, start or answer a control command."""


class Kamailio(Peer):
    """Registrar/proxy for ``users`` (name -> password) listening on UDP+TCP 127.0.0.1:port."""

    def __init__(
        self,
        users: Mapping[str, str],
        work_dir: Path,
        port: int | None = None,
        auth_calls: bool = True,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        tls_min_version: str = "TLSv1.2+",
    ) -> None:
        """Prepare (but do not start) Kamailio; ``auth_calls`` also challenges INVITEs etc.

        ``tls_cert`` and ``tls_key`` add a TLS listener on a free port (``tls_port``);
        ``tls_min_version`` is Kamailio's ``tls_method`` (``TLSv1.2+``, ``TLSv1.3``...).
        """
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.tls_min_version = tls_min_version
        self.tls_port = free_port("tcp") if tls_cert is not None else 0
        self.users = dict(users)
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.host = LOOPBACK
        self.domain = LOOPBACK
        self.port = port if port is not None else free_port("both")
        self._fixed_port = port is not None
        self.auth_calls = auth_calls
        self.config_path = self.work_dir / "kamailio.cfg"
        self.log_path = self.work_dir / "kamailio.log"
        self._short_dir: tempfile.TemporaryDirectory[str] | None = None
        self.ctl_socket = self._ctl_socket_path()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def registrar_uri(self) -> str:
        """SIP URI of the registrar/proxy, e.g. ``sip:127.0.0.1:23456``."""
        return f"sip:{self.host}:{self.port}"

    @property
    def tls_registrar_uri(self) -> str:
        """SIP URI of the TLS listener, e.g. ``sip:127.0.0.1:23457;transport=tls``."""
        if not self.tls_port:
            raise KamailioError("this Kamailio has no TLS listener")
        return f"sip:{self.host}:{self.tls_port};transport=tls"

    def aor(self, user: str) -> str:
        """Address of record of ``user`` at this server."""
        return f"sip:{user}@{self.domain}:{self.port}"

    def _ctl_socket_path(self) -> Path:
        """Control socket in the work dir, or in a short temp dir if that path is too long."""
        path = self.work_dir / "kamailio_ctl"
        if len(str(path)) <= _MAX_SOCKET_PATH:
            return path
        self._short_dir = tempfile.TemporaryDirectory(prefix="kamctl-")
        return Path(self._short_dir.name) / "ctl"

    def write_config(self) -> Path:
        """Write kamailio.cfg and validate it with ``kamailio -c``."""
        tls = None
        if self.tls_cert is not None and self.tls_key is not None:
            tls = kamailio_cfg.TlsListener(
                self.tls_port, str(self.tls_cert), str(self.tls_key), self.tls_min_version
            )
        text = kamailio_cfg.render(
            self.port, self.users, str(self.ctl_socket), self.auth_calls, tls
        )
        self.config_path.write_text(text)
        check = subprocess.run(
            [KAMAILIO, "-c", "-f", str(self.config_path), "-Y", str(self.work_dir)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check.returncode != 0:
            raise KamailioError(f"kamailio -c failed:\n{check.stdout}\n{check.stderr}")
        return self.config_path

    def start(self, timeout: float = 20.0, attempts: int = 3) -> Kamailio:
        """Start Kamailio in the foreground and wait until its control socket answers.

        If the automatically chosen port was taken meanwhile, another one is tried.
        """
        for attempt in range(1, attempts + 1):
            self.write_config()
            try:
                self._launch(timeout)
                return self
            except KamailioError:
                self.stop(cleanup=False)
                clash = "Address already in use" in self.log_text()
                if not clash or self._fixed_port or attempt == attempts:
                    self.stop()
                    raise
                self.port = free_port("both")
                if self.tls_port:
                    self.tls_port = free_port("tcp")
            except BaseException:
                self.stop()
                raise
        return self

    def _launch(self, timeout: float) -> None:
        """Start the process and wait until it answers on the control socket."""
        argv = [
            KAMAILIO, "-DD", "-E", "-m", "64", "-M", "8",
            "-f", str(self.config_path), "-w", str(self.work_dir), "-Y", str(self.work_dir),
            "-P", str(self.work_dir / "kamailio.pid"),
        ]  # fmt: skip
        self.log_path.write_text("")
        self._proc = procs.start(argv, self.log_path, cwd=self.work_dir)
        wait_until(
            self._ready,
            timeout,
            interval=0.1,
            message=lambda: f"kamailio did not come up; log:\n{procs.tail(self.log_path)}",
        )

    def _ready(self) -> bool:
        """True once the process runs and answers ``core.version`` on its ctl socket."""
        if self._proc is None or self._proc.poll() is not None:
            raise KamailioError(f"kamailio exited early; log:\n{procs.tail(self.log_path)}")
        if not self.ctl_socket.exists():
            return False
        return self._kamcmd("core.version").returncode == 0

    def _kamcmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``kamcmd`` against this instance's control socket."""
        return subprocess.run(
            [KAMCMD, "-s", f"unix:{self.ctl_socket}", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def rpc(self, *args: str) -> str:
        """Run an RPC command (e.g. ``ul.dump``) and return its output; raise on error."""
        result = self._kamcmd(*args)
        if result.returncode != 0:
            raise KamailioError(f"kamcmd {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def contacts(self, user: str) -> list[str]:
        """Contact URIs currently registered for ``user`` (empty if none)."""
        result = self._kamcmd("ul.lookup", "location", f"{user}@{self.domain}")
        if result.returncode != 0:
            return []
        found = []
        for line in result.stdout.splitlines():
            key, _, value = line.strip().partition(":")
            if key == "Address":
                found.append(value.strip())
        return found

    def is_registered(self, user: str) -> bool:
        """True if ``user`` has at least one registered contact."""
        return bool(self.contacts(user))

    def wait_registered(self, user: str, timeout: float = 15.0) -> None:
        """Wait until ``user`` has a registered contact."""
        wait_until(
            lambda: self.is_registered(user),
            timeout,
            interval=0.1,
            message=f"{user} did not register with kamailio within {timeout}s",
        )

    def wait_unregistered(self, user: str, timeout: float = 15.0) -> None:
        """Wait until ``user`` has no registered contact any more."""
        wait_until(
            lambda: not self.is_registered(user),
            timeout,
            interval=0.1,
            message=f"{user} still registered with kamailio after {timeout}s",
        )

    def log_text(self) -> str:
        """The whole Kamailio log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        """True while the Kamailio main process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self, cleanup: bool = True) -> None:
        """Stop Kamailio and all its workers; idempotent. ``cleanup`` drops the ctl dir."""
        procs.stop(self._proc)
        if cleanup and self._short_dir is not None:
            self._short_dir.cleanup()
            self._short_dir = None

