"""Starting and reliably stopping the child processes of the harness.

Every peer runs in its own session/process group, so :func:`stop` reaches every process it
forks (Kamailio's workers, the shell loop around paplay) and nothing else.

Should the test process die without running teardown (SIGKILL, ``os._exit``), a small
watchdog process, which holds a pipe from this process, notices the pipe closing and kills
the process groups that were still running. Normal teardown unregisters each group first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

_WATCHDOG_CODE = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups = set()
for line in sys.stdin:
    op, _, pgid = line.strip().partition(" ")
    if op == "+":
        groups.add(int(pgid))
    elif op == "-":
        groups.discard(int(pgid))
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


class _Watchdog:
    """Kills still-tracked process groups once this process is gone (its pipe closes)."""

    def __init__(self) -> None:
        """Create lazily: the watchdog process starts with the first tracked group."""
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _send(self, line: str) -> None:
        """Send one command line, starting the watchdog if needed."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _WATCHDOG_CODE],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    start_new_session=True,
                )
            assert self._proc.stdin is not None
            with contextlib.suppress(OSError):
                self._proc.stdin.write(line + "\n")
                self._proc.stdin.flush()

    def track(self, pgid: int) -> None:
        """Kill group ``pgid`` if this process dies before :meth:`untrack`."""
        self._send(f"+ {pgid}")

    def untrack(self, pgid: int) -> None:
        """Forget group ``pgid`` (it was stopped normally)."""
        if self._proc is not None:
            self._send(f"- {pgid}")

    def close(self) -> None:
        """End the watchdog (it kills whatever is still tracked) and reap it."""
        with self._lock:
            if self._proc is None:
                return
            if self._proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self._proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            self._proc = None


_watchdog = _Watchdog()
atexit.register(_watchdog.close)


def start(
    argv: Sequence[str],
    log_path: Path | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process group.

    stdout+stderr are appended to ``log_path``, or readable from ``proc.stdout`` (a pipe)
    if ``log_path`` is None.
    """
    with contextlib.ExitStack() as stack:
        if log_path is None:
            out: int | object = subprocess.PIPE
        else:
            out = stack.enter_context(open(log_path, "ab"))
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    _watchdog.track(proc.pid)
    return proc


def watch_group(pgid: int) -> None:
    """Have the watchdog kill process group ``pgid`` if this test run dies hard."""
    _watchdog.track(pgid)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send ``sig`` to the process group led by ``proc`` (ignore if already gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 5.0) -> int | None:
    """Terminate ``proc`` and its process group: SIGTERM, then SIGKILL after ``grace`` s.

    Returns the exit code (None if there was no process). Safe to call repeatedly.
    """
    if proc is None:
        return None
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=grace)
    # Workers of a leader that exited on its own may linger in its group: kill those too.
    for pid in group_members(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _watchdog.untrack(proc.pid)
    return proc.returncode


def group_members(pgid: int) -> list[int]:
    """Return the pids of live processes whose process group is ``pgid`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a log file for assertion messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"<no log at {path}>"
    return "\n".join(text.splitlines()[-lines:])


class Peer:
    """A peer process usable as ``with Peer(...) as peer``: started on entry, stopped on
    exit even when the block fails. Subclasses provide ``start() -> Self`` and ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
