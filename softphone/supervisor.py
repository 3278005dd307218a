"""Start, watch and restart the phone engine process.

The engine runs pjsua2 in its own process (a failed pjsua2 assertion aborts the whole
process, and Python work beside the media clock makes audio late). This module talks
to it over the typed protocol on its stdin/stdout. Imports no Qt.

Threads: ``send`` may be called from any thread. Events are delivered to the
``on_event`` callback on the supervisor's reader thread; ``on_exit`` on the watcher
thread.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from softphone import protocol

log = logging.getLogger(__name__)

#: The engine is a console program; started from the windowed app it opens no window.
_NO_WINDOW = 0
if sys.platform == "win32":
    _NO_WINDOW = subprocess.CREATE_NO_WINDOW


def engine_command(log_file: Path | None, log_level: str) -> list[str]:
    """The command line that starts the engine, frozen build or not."""
    if getattr(sys, "frozen", False):
        # The build's engine program, beside the app's (packaging/softphone.spec); the
        # app's own program runs the engine too (hidden ``engine`` command).
        engine = Path(sys.executable).with_name(
            "softphone-engine.exe" if sys.platform == "win32" else "softphone-engine")
        command = [str(engine)] if engine.exists() else [sys.executable, "engine"]
    else:
        command = [sys.executable, "-m", "softphone.engine"]
    if log_file is not None:
        command += ["--log-file", str(log_file)]
    return [*command, "--log-level", log_level]


def line_shape(line: bytes, length: int = 8) -> str:
    """The kind of each of the first ``length`` characters of ``line``, for the log: ``a``
    for a letter, ``9`` for a digit, ``_`` for white space, ``?`` for anything else but
    ASCII punctuation, which is kept (``{"aaaa":`` for an event). Says what came instead
    of an event without saying what it said."""
    text = line[:length * 4].decode("utf-8", "replace")[:length]  # at most 4 bytes a char
    return "".join(_char_kind(char) for char in text)


def _char_kind(char: str) -> str:
    if char.isalpha():
        return "a"
    if char.isdigit():
        return "9"
    if char.isspace():
        return "_"
    return char if char.isascii() and char.isprintable() else "?"


class EngineProcess:
    """One running engine process and the threads that read its output."""

    def __init__(
        self,
        command: list[str],
        on_event: Callable[[protocol.Event], None],
        on_exit: Callable[[EngineProcess, int], None],
        env: dict[str, str] | None = None,
        *,
        quiet: bool = False,
    ) -> None:
        """``quiet``: the engine's own terminal output (pjlib's start-up lines) is
        dropped, for command-line tools whose output is read; its log file still has
        everything."""
        self._on_event = on_event
        self._on_exit = on_exit
        self._write_lock = threading.Lock()
        self.expected_exit = False
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if quiet else None,
            env=env,
            bufsize=0,
            creationflags=_NO_WINDOW,
        )
        self.pid = self.process.pid
        self._reader = threading.Thread(
            target=self._read_events, name=f"engine-reader-{self.pid}", daemon=True
        )
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, command: protocol.Command) -> bool:
        """Write one command; False if the engine is gone. Any thread."""
        stdin = self.process.stdin
        if stdin is None:
            return False
        try:
            with self._write_lock:
                stdin.write(protocol.encode(command))
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the engine to shut down cleanly, then kill it if it does not."""
        self.expected_exit = True
        self.send(protocol.Shutdown())
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("Engine %s did not stop in %.0f s; killing it", self.pid, timeout)
            self.process.kill()
            self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()

    def _read_events(self) -> None:
        """Reader thread: one event per line until the engine's stdout closes."""
        stdout = self.process.stdout
        assert stdout is not None
        for line in iter(stdout.readline, b""):
            try:
                event = protocol.decode(line)
            except protocol.ProtocolError as exc:
                # Never the line itself: an event names the caller.
                log.error("Bad line from engine %s: %s (%d bytes, starting %r)", self.pid,
                          str(exc).split(": ", 1)[0], len(line), line_shape(line))
                continue
            try:
                self._on_event(event)  # type: ignore[arg-type]
            except Exception:
                log.exception("Error while handling engine event %s of call %s",
                              type(event).__name__, getattr(event, "call_id", "-"))
        code = self.process.wait()
        self._on_exit(self, code)


class Supervisor:
    """Keeps exactly one engine running, restarting it when it dies unexpectedly.

    ``on_started`` runs (on whichever thread started the engine) right after each start so
    the owner can configure and register it again; ``on_crash`` runs on the reader thread
    when an engine died without being asked to.
    """

    RESTART_DELAYS = (0.0, 0.5, 1.0, 2.0, 2.0)

    def __init__(
        self,
        on_event: Callable[[protocol.Event], None],
        on_started: Callable[[EngineProcess], None],
        on_crash: Callable[[int, int], None],
        log_file: Path | None = None,
        log_level: str = "info",
        *,
        quiet: bool = False,
    ) -> None:
        self._on_event = on_event
        self._on_started = on_started
        self._quiet = quiet
        self._on_crash = on_crash
        self._log_file = log_file
        self._log_level = log_level
        self._lock = threading.Lock()
        self._engine: EngineProcess | None = None
        self._stopping = False
        self._recent_crashes: list[float] = []

    @property
    def engine(self) -> EngineProcess | None:
        return self._engine

    def start(self) -> EngineProcess:
        with self._lock:
            self._stopping = False
            engine = EngineProcess(
                engine_command(self._log_file, self._log_level),
                self._on_event,
                self._engine_exited,
                env=_engine_env(),
                quiet=self._quiet,
            )
            self._engine = engine
        log.info("Phone engine started, pid %s", engine.pid)
        self._on_started(engine)
        return engine

    def send(self, command: protocol.Command) -> bool:
        engine = self._engine
        return engine.send(command) if engine is not None else False

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            engine = self._engine
        if engine is not None:
            engine.stop()

    def _engine_exited(self, engine: EngineProcess, code: int) -> None:
        """Reader thread of the dead engine: restart unless the exit was asked for."""
        with self._lock:
            if self._stopping or engine.expected_exit or engine is not self._engine:
                return
        log.error("Phone engine %s exited unexpectedly with status %s", engine.pid, code)
        self._on_crash(engine.pid, code)
        now = time.monotonic()
        self._recent_crashes = [t for t in self._recent_crashes if now - t < 60] + [now]
        delay = self.RESTART_DELAYS[min(len(self._recent_crashes), len(self.RESTART_DELAYS)) - 1]
        if delay:
            time.sleep(delay)
        with self._lock:
            if self._stopping:
                return
        self.start()


def _engine_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env
