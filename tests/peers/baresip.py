"""A real remote SIP user agent: baresip 1.0 driven through its ``ctrl_tcp`` module.

Each :class:`Baresip` gets its own config dir, SIP port (+1 for SIP-TLS, which baresip
always binds), control port and RTP range (30000-32766). It sends a WAV
(``audio_source aufile,IN.wav``; 8 kHz mono for G.711). baresip 1.0's ``aufile`` module has
no *player*, so what it hears is recorded by the ``sndfile`` audio filter instead: one
``callNNN-dec.wav`` (heard) and ``callNNN-enc.wav`` (sent) per call, see
:attr:`Baresip.recording_path`; they are finalised when the call's audio stops.

Commands are netstring-framed JSON sent to ``ctrl_tcp``; events (``CALL_ESTABLISHED``,
``CALL_DTMF_START`` ...) come back on the same connection and are collected by a reader
thread, as is the process's stdout, which includes a SIP trace (``-s``) used to inspect
received requests (REFER, INFO, the SDP direction of re-INVITEs).

Example::

    with Baresip("customer", "customerpw", tmp_path / "customer",
                 registrar=("127.0.0.1", kam.port), tone_wav=wav) as ua:
        ua.wait_registered()
        ua.dial(kam.aor("agent"))
        ua.wait_call_established()
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.peers import procs
from tests.peers.audio import wav_is_complete, wav_seconds_written, write_tone
from tests.peers.net import LOOPBACK, free_port, free_port_range, port_accepts_tcp, wait_until
from tests.peers.procs import Peer

BARESIP = "/usr/bin/baresip"
MODULE_PATH = "/usr/lib/baresip/modules"
CODEC_MODULES = {"g711": "g711.so", "g722": "g722.so", "opus": "opus.so", "l16": "l16.so"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SNDFILE_DUMP = re.compile(r"sndfile: dumping (encode|decode) audio to (.+\.wav)$")
_OPEN_STATES = ("incoming", "outgoing", "ringing", "early", "established")

Event = dict[str, Any]
Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]


class BaresipError(RuntimeError):
    """baresip failed to start or rejected a command."""


class _PortClash(Exception):
    """baresip could not bind one of the ports picked for it."""


@dataclass
class CallInfo:
    """What the events told about one call (keyed by baresip's call id)."""

    call_id: str
    direction: str = ""
    peer_uri: str = ""
    state: str = "new"
    history: list[str] = field(default_factory=list)


def _netstring(payload: bytes) -> bytes:
    """Frame ``payload`` as a netstring."""
    return str(len(payload)).encode() + b":" + payload + b","


def _split_netstrings(buffer: bytearray) -> list[bytes]:
    """Remove and return every complete netstring at the start of ``buffer``."""
    out: list[bytes] = []
    while True:
        colon = buffer.find(b":")
        if colon <= 0 or not buffer[:colon].isdigit():
            return out
        length = int(buffer[:colon])
        end = colon + 1 + length
        if len(buffer) < end + 1:
            return out
        out.append(bytes(buffer[colon + 1 : end]))
        del buffer[: end + 1]


class Baresip(Peer):
    """One baresip process acting as SIP user ``user`` at a registrar (host, port)."""

    def __init__(
        self,
        user: str,
        password: str,
        work_dir: Path,
        registrar: tuple[str, int],
        *,
        display_name: str | None = None,
        register: bool = True,
        tone_wav: Path | None = None,
        tone_hz: float = 1000.0,
        transport: Literal["udp", "tcp"] = "udp",
        auto_answer: bool = False,
        codecs: Iterable[str] = ("g711",),
        regint: int = 600,
        sip_trace: bool = True,
        extra_config: Iterable[str] = (),
    ) -> None:
        """Prepare config (not started). ``tone_wav`` must be 8 kHz mono for G.711.

        Without ``tone_wav`` a 60 s ``tone_hz`` tone at 8 kHz is generated in ``work_dir``.
        """
        self.user = user
        self.password = password
        self.work_dir = Path(work_dir)
        self.config_dir = self.work_dir / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.registrar = registrar
        self.display_name = display_name or user.capitalize()
        self.register = register
        self.regint = regint if register else 0
        self.transport = transport
        self.auto_answer = auto_answer
        self.codecs = tuple(codecs)
        self.sip_trace = sip_trace
        self.extra_config = tuple(extra_config)
        self.tone_wav = tone_wav or write_tone(self.work_dir / "in.wav", tone_hz, 60, rate=8000)
        self.recordings_dir = self.work_dir / "recordings"
        self.recordings_dir.mkdir(exist_ok=True)
        self.log_path = self.work_dir / "baresip.log"
        self.sip_port = 0
        self.ctrl_port = 0
        self.rtp_ports = (0, 0)
        self._pick_ports()
        self.lines: list[str] = []
        self.events: list[Event] = []
        self.calls: dict[str, CallInfo] = {}
        self._recordings: dict[str, list[Path]] = {"dec": [], "enc": []}
        self._trace: list[SipMessage] = []
        self._trace_pos = 0
        self._responses: dict[str, Event] = {}
        self._cond = threading.Condition()
        self._tokens = itertools.count(1)
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._send_lock = threading.Lock()

    # ----------------------------------------------------------------- configuration
    @property
    def aor(self) -> str:
        """This UA's address of record at the registrar."""
        host, port = self.registrar
        return f"sip:{self.user}@{host}:{port}"

    @property
    def contact_uri(self) -> str:
        """A URI reaching this UA directly, bypassing the registrar."""
        return f"sip:{self.user}@{LOOPBACK}:{self.sip_port}"

    def account_line(self) -> str:
        """The ``accounts`` file line for this UA."""
        params = [f"auth_pass={self.password}", f"regint={self.regint}"]
        params.append("answermode=auto" if self.auto_answer else "answermode=manual")
        uri = self.aor if self.transport == "udp" else f"{self.aor};transport={self.transport}"
        return f'"{self.display_name}" <{uri}>;' + ";".join(params)

    def config_text(self) -> str:
        """The baresip ``config`` file for this UA."""
        first, last = self.rtp_ports
        lines = [
            "poll_method epoll",
            f"sip_listen {LOOPBACK}:{self.sip_port}",
            f"net_interface {LOOPBACK}",
            f"rtp_ports {first}-{last}",
            "rtcp_mux no",
            "jitter_buffer_delay 2-10",
            f"audio_source aufile,{self.tone_wav}",
            f"snd_path {self.recordings_dir}",
            "audio_alert aufile,/dev/null",
            "call_max_calls 4",
            "statmode_default off",
            f"module_path {MODULE_PATH}",
            *(f"module {CODEC_MODULES[codec]}" for codec in self.codecs),
            "module aufile.so",
            "module sndfile.so",
            "module_app account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen {LOOPBACK}:{self.ctrl_port}",
            *self.extra_config,
        ]
        return "\n".join(lines) + "\n"

    def write_config(self) -> None:
        """Write config, accounts and an empty contacts file into the config dir."""
        (self.config_dir / "config").write_text(self.config_text())
        (self.config_dir / "accounts").write_text(self.account_line() + "\n")
        (self.config_dir / "contacts").write_text("")

    # ----------------------------------------------------------------------- process
    def start(self, timeout: float = 20.0, attempts: int = 3) -> Baresip:
        """Start baresip and connect to its control port.

        If a port turned out to be taken meanwhile, new ports are picked and baresip is
        started again (up to ``attempts`` times).
        """
        for attempt in range(1, attempts + 1):
            self.write_config()
            try:
                self._launch(timeout)
                return self
            except _PortClash:
                self._close_process()
                if attempt == attempts:
                    raise BaresipError(f"baresip {self.user}: ports kept clashing") from None
                self._pick_ports()
            except BaseException:
                self.stop()
                raise
        return self

    def _pick_ports(self) -> None:
        """Choose SIP (+TLS at port+1), control and RTP ports that are free now."""
        self.sip_port = free_port("both", span=2)
        self.ctrl_port = free_port("tcp")
        self.rtp_ports = free_port_range(10)

    def _launch(self, timeout: float) -> None:
        """Start the process and its readers; wait for ctrl_tcp and connect to it."""
        argv = [BARESIP, "-4", "-f", str(self.config_dir)]
        if self.sip_trace:
            argv.append("-s")
        with self._cond:
            self.lines.clear()
            self._trace.clear()
            self._trace_pos = 0
        self._proc = procs.start(argv, None, cwd=self.work_dir)
        self._spawn(self._read_stdout, "stdout")
        wait_until(
            self._ctrl_ready,
            timeout,
            interval=0.05,
            message=lambda: f"baresip {self.user}: no control port\n{self.output_tail()}",
        )
        self._sock = socket.create_connection((LOOPBACK, self.ctrl_port), timeout=5)
        self._sock.settimeout(None)
        self._spawn(self._read_ctrl, "ctrl")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        """Run ``target`` in a daemon reader thread."""
        thread = threading.Thread(target=target, name=f"baresip-{self.user}-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _ctrl_ready(self) -> bool:
        """True once baresip is ready and ctrl_tcp accepts; raise if it died or lost a port."""
        exited = self._proc is None or self._proc.poll() is not None
        if exited:
            self._join_stdout()
        with self._cond:
            output = list(self.lines)
        if any("Address already in use" in line for line in output):
            raise _PortClash
        if exited:
            raise BaresipError(f"baresip {self.user} exited early\n{self.output_tail()}")
        if not any("baresip is ready" in line for line in output):
            return False
        return port_accepts_tcp(self.ctrl_port)

    @property
    def pid(self) -> int:
        """The baresip process id (for CPU and memory readings)."""
        assert self._proc is not None, "baresip not started"
        return self._proc.pid

    @property
    def running(self) -> bool:
        """True while the baresip process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 3.0) -> None:
        """Ask baresip to quit (it unregisters), kill it after ``timeout`` s. Idempotent."""
        if self._proc is not None and self._proc.poll() is None and self._sock is not None:
            try:
                self._send("quit", None, str(next(self._tokens)))
                self._proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._close_process()

    def _close_process(self) -> None:
        """Kill the process if still running and release socket, pipe and threads."""
        procs.stop(self._proc, grace=1.0)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        self._join_stdout()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()

    def _join_stdout(self) -> None:
        """Wait for the stdout reader to drain the pipe of an exited process."""
        for thread in self._threads:
            if thread.name.endswith("-stdout"):
                thread.join(timeout=5)


    # ------------------------------------------------------------------ reader threads
    def _read_stdout(self) -> None:
        """Collect stdout lines (ANSI colours stripped) and mirror them to the log file."""
        assert self._proc is not None and self._proc.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for raw in self._proc.stdout:
                text = _ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\r\n")
                # Status lines are redrawn with bare CRs; each segment is a line of its own.
                for line in text.split("\r"):
                    log.write(f"{time.monotonic():.3f} {line}\n")
                    self._take_line(line)
                log.flush()

    def _take_line(self, line: str) -> None:
        """Record one output line, renaming sndfile dumps as soon as they are announced."""
        dump = _SNDFILE_DUMP.search(line)
        if dump is not None:
            self._claim_dump(dump.group(1), Path(dump.group(2)))
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()

    def _claim_dump(self, kind: str, path: Path) -> None:
        """Give a fresh sndfile dump a unique name at once.

        sndfile names dumps by wall-clock second only, so a second call starting within
        the same second would truncate the first call's file. baresip keeps writing
        through its open descriptor, so renaming is safe.
        """
        short = "dec" if kind == "decode" else "enc"
        target = path.with_name(f"call{len(self._recordings[short]) + 1:03d}-{short}.wav")
        try:
            path.rename(target)
        except OSError:
            target = path
        with self._cond:
            self._recordings[short].append(target)

    def _read_ctrl(self) -> None:
        """Collect ctrl_tcp responses and events until the connection closes."""
        sock = self._sock
        assert sock is not None
        buffer = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer.extend(chunk)
            for payload in _split_netstrings(buffer):
                try:
                    message = json.loads(payload)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)

    def _dispatch(self, message: Event) -> None:
        """File a decoded ctrl_tcp message as a response or an event."""
        with self._cond:
            if message.get("response"):
                self._responses[str(message.get("token"))] = message
            elif message.get("event"):
                message["_t"] = time.monotonic()
                self.events.append(message)
                self._track_call(message)
            self._cond.notify_all()

    def _track_call(self, event: Event) -> None:
        """Update :attr:`calls` from a call event."""
        if event.get("class") != "call" or "id" not in event:
            return
        call = self.calls.setdefault(str(event["id"]), CallInfo(str(event["id"])))
        call.direction = str(event.get("direction", call.direction))
        call.peer_uri = str(event.get("peeruri", call.peer_uri))
        kind = str(event.get("type", ""))
        call.history.append(kind)
        states = {
            "CALL_INCOMING": "incoming",
            "CALL_OUTGOING": "outgoing",
            "CALL_RINGING": "ringing",
            "CALL_PROGRESS": "early",
            "CALL_ESTABLISHED": "established",
            "CALL_CLOSED": "closed",
        }
        call.state = states.get(kind, call.state)

    # ----------------------------------------------------------------------- commands
    def _send(self, command: str, params: str | None, token: str) -> None:
        """Write one command to ctrl_tcp."""
        message: Event = {"command": command, "token": token}
        if params is not None:
            message["params"] = params
        if self._sock is None:
            raise BaresipError(f"baresip {self.user} is not started")
        with self._send_lock:
            self._sock.sendall(_netstring(json.dumps(message).encode()))

    def command(self, command: str, params: str | None = None, timeout: float = 10.0) -> str:
        """Run a baresip menu command (e.g. ``dial``, ``accept``) and return its output."""
        token = str(next(self._tokens))
        self._send(command, params, token)
        with self._cond:
            done = self._cond.wait_for(lambda: token in self._responses, timeout)
            if not done:
                raise BaresipError(f"baresip {self.user}: no response to {command!r}")
            response = self._responses.pop(token)
        if not response.get("ok"):
            raise BaresipError(f"baresip {self.user}: {command} {params!r} failed: {response}")
        return _ANSI.sub("", str(response.get("data", "")))

    def dial(self, uri: str) -> None:
        """Place a call to ``uri`` (e.g. ``sip:agent@127.0.0.1:PORT``)."""
        self.command("dial", uri)

    def answer(self) -> None:
        """Accept the incoming call."""
        self.command("accept")

    def hangup(self) -> None:
        """Hang up the current call (or reject the incoming one)."""
        self.command("hangup")

    def hold(self) -> None:
        """Put the current call on hold (re-INVITE a=sendonly)."""
        self.command("hold")

    def resume(self) -> None:
        """Resume the current call."""
        self.command("resume")

    def send_dtmf(self, digits: str) -> None:
        """Send ``digits`` as RFC 4733 telephone-events in the current call."""
        for digit in digits:
            self.command("sndcode", digit)

    def transfer(self, uri: str) -> None:
        """Blind-transfer the current call to ``uri`` (sends REFER)."""
        self.command("transfer", uri)

    def registration_info(self) -> str:
        """Output of ``reginfo`` (one line per UA, ``OK`` once registered)."""
        return self.command("reginfo")

    # -------------------------------------------------------------------------- waits
    def wait_for(self, predicate: Callable[[], Any], timeout: float, message: str) -> Any:
        """Wait (woken by every event/output line) until ``predicate()`` is truthy."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"baresip {self.user}: {message}\n{self.output_tail()}")
                self._cond.wait(min(remaining, 0.25))

    def wait_event(self, kind: str, timeout: float = 15.0, since: int = 0, **match: Any) -> Event:
        """Return the first event of type ``kind`` at index >= ``since`` matching ``match``."""

        def found() -> Event | None:
            for event in self.events[since:]:
                if event.get("type") == kind and all(event.get(k) == v for k, v in match.items()):
                    return event
            return None

        result: Event = self.wait_for(found, timeout, f"no {kind} event {match or ''}")
        return result

    def registration_state(self) -> str:
        """State word ``reginfo`` shows for this account: ``OK``, ``ERR``, ``zzz`` (none)."""
        for line in self.registration_info().splitlines():
            words = line.replace(">", " ").split()
            if words and words[0].startswith(self.aor):
                return words[1] if len(words) > 1 else ""
        return ""

    def is_registered(self) -> bool:
        """True if the registrar accepted this UA's REGISTER."""
        return self.registration_state() == "OK"

    def wait_registered(self, timeout: float = 15.0) -> None:
        """Wait until the registrar accepted this UA's REGISTER."""
        wait_until(
            self.is_registered,
            timeout,
            interval=0.1,
            message=lambda: f"baresip {self.user} not registered\n{self.output_tail()}",
        )

    def wait_registration_failed(self, timeout: float = 15.0) -> None:
        """Wait until registering failed (e.g. wrong password: 401 after credentials)."""
        wait_until(
            lambda: self.registration_state() == "ERR",
            timeout,
            interval=0.1,
            message=lambda: f"baresip {self.user}: registering did not fail\n{self.output_tail()}",
        )

    def _calls_in(self, *states: str) -> list[CallInfo]:
        """Calls currently in one of ``states``."""
        return [call for call in self.calls.values() if call.state in states]

    def wait_incoming_call(self, timeout: float = 15.0) -> CallInfo:
        """Wait until a call is ringing in (CALL_INCOMING)."""
        found = self.wait_for(lambda: self._calls_in("incoming"), timeout, "no incoming call")
        return found[0]  # type: ignore[no-any-return]

    def wait_call_established(self, timeout: float = 15.0) -> CallInfo:
        """Wait until a call is established."""
        found = self.wait_for(lambda: self._calls_in("established"), timeout, "no call up")
        return found[0]  # type: ignore[no-any-return]

    def wait_call_closed(self, timeout: float = 15.0) -> CallInfo:
        """Wait until there was a call and none is open any more; return the last one."""

        def closed() -> CallInfo | None:
            if not self.calls or self._calls_in(*_OPEN_STATES):
                return None
            return list(self.calls.values())[-1]

        result: CallInfo = self.wait_for(closed, timeout, "call did not close")
        return result

    def wait_output(self, pattern: str, timeout: float = 15.0, since: int = 0) -> str:
        """Wait for a stdout line (from index ``since``) matching regex ``pattern``."""
        regex = re.compile(pattern)

        def found() -> str | None:
            return next((line for line in self.lines[since:] if regex.search(line)), None)

        result: str = self.wait_for(found, timeout, f"no output matching {pattern!r}")
        return result

    # ----------------------------------------------------------------- observations
    def recordings(self, kind: Literal["dec", "enc"] = "dec") -> list[Path]:
        """sndfile dumps, oldest first: ``dec`` = what this UA heard, ``enc`` = what it sent."""
        with self._cond:
            return list(self._recordings[kind])

    @property
    def recording_path(self) -> Path | None:
        """WAV of what this UA heard in its latest call (None before any call had audio).

        baresip 1.0's aufile module has no player, so the ``sndfile`` filter records the
        decoded audio; the file is finalised when the call's audio stops.
        """
        found = self.recordings("dec")
        return found[-1] if found else None

    @property
    def sent_path(self) -> Path | None:
        """WAV of what this UA sent in its latest call."""
        found = self.recordings("enc")
        return found[-1] if found else None

    def heard_seconds(self) -> float:
        """Seconds of audio in the latest call's recording so far (also while recording)."""
        path = self.recording_path
        return 0.0 if path is None else wav_seconds_written(path)

    def wait_heard_seconds(self, seconds: float, timeout: float = 15.0) -> None:
        """Wait until the current call's recording holds ``seconds`` of received audio."""
        wait_until(
            lambda: self.heard_seconds() >= seconds,
            timeout,
            message=lambda: f"baresip {self.user}: heard {self.heard_seconds():.2f}s < {seconds}s",
        )

    def wait_recording(self, timeout: float = 10.0) -> Path:
        """Wait until the latest call's recording is finalised (call ended) and return it."""

        def ready() -> Path | None:
            path = self.recording_path
            return path if path is not None and wav_is_complete(path) else None

        result = wait_until(
            ready, timeout, message=f"baresip {self.user}: no finished recording in {timeout}s"
        )
        assert isinstance(result, Path)
        return result

    def received_dtmf(self) -> str:
        """Digits reported by CALL_DTMF_START events (RFC 4733 and SIP INFO), in order."""
        with self._cond:
            return "".join(
                str(event.get("param", ""))
                for event in self.events
                if event.get("type") == "CALL_DTMF_START"
            )

    def wait_dtmf(self, digits: str, timeout: float = 15.0) -> str:
        """Wait until the received digits end with ``digits``."""
        result: str = self.wait_for(
            lambda: self.received_dtmf().endswith(digits) and self.received_dtmf(),
            timeout,
            f"DTMF {digits!r} not received (got {self.received_dtmf()!r})",
        )
        return result

    def sip_messages(self) -> list[SipMessage]:
        """Every SIP message in the ``-s`` trace so far (needs ``sip_trace=True``)."""
        with self._cond:
            found, self._trace_pos = parse_sip_trace(
                self.lines, self.sip_port, self.registrar[1], self._trace_pos
            )
            self._trace.extend(found)
            return list(self._trace)

    def received_requests(self, method: str) -> list[SipMessage]:
        """SIP requests of ``method`` this UA received, oldest first."""
        return [msg for msg in self.sip_messages() if msg.received and msg.method == method.upper()]

    def wait_request(self, method: str, timeout: float = 15.0, count: int = 1) -> SipMessage:
        """Wait until this UA received ``count`` requests of ``method``; return the last."""
        found = self.wait_for(
            lambda: len(self.received_requests(method)) >= count and self.received_requests(method),
            timeout,
            f"did not receive {count} {method} request(s)",
        )
        return found[count - 1]  # type: ignore[no-any-return]

    def remote_directions(self) -> list[Direction]:
        """Media direction of the SDP in every received INVITE (first = initial offer)."""
        return [msg.sdp_direction() for msg in self.received_requests("INVITE") if msg.body]

    @property
    def hold_state(self) -> Direction:
        """Media direction the peer asked for in its latest INVITE (``sendonly`` = held)."""
        directions = self.remote_directions()
        return directions[-1] if directions else "sendrecv"

    def wait_remote_direction(self, direction: Direction, timeout: float = 15.0) -> None:
        """Wait until the peer's latest INVITE (e.g. a hold re-INVITE) has ``direction``."""
        self.wait_for(
            lambda: self.hold_state == direction, timeout, f"no re-INVITE with a={direction}"
        )

    def output_tail(self, count: int = 40) -> str:
        """The last ``count`` stdout lines, for assertion messages."""
        return "\n".join(self.lines[-count:])


@dataclass
class SipMessage:
    """One SIP message from baresip's trace."""

    proto: str
    source: str
    destination: str
    received: bool
    start_line: str
    headers: list[tuple[str, str]]
    body: str

    @property
    def method(self) -> str:
        """Request method, or "" for a response."""
        first = self.start_line.split(" ", 1)[0]
        return "" if first.startswith("SIP/") else first

    @property
    def status(self) -> int:
        """Response status code, or 0 for a request."""
        parts = self.start_line.split(" ", 2)
        return int(parts[1]) if parts[0].startswith("SIP/") else 0

    def header(self, name: str) -> str | None:
        """Value of the first header called ``name`` (case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def sdp_direction(self) -> Direction:
        """Media direction attribute of the SDP body (default ``sendrecv``)."""
        directions: tuple[Direction, ...] = ("sendonly", "recvonly", "inactive")
        return next((d for d in directions if f"a={d}" in self.body), "sendrecv")


_TRACE_HEAD = re.compile(r"^(UDP|TCP|TLS|WS|WSS) (\S+) -> (\S+)$")


def parse_sip_trace(
    lines: list[str], own_port: int, server_port: int = 0, start: int = 0
) -> tuple[list[SipMessage], int]:
    """Parse baresip ``-s`` output: ``#``, ``PROTO src -> dst``, headers, blank, body.

    Returns the complete messages found from line ``start`` on and the index to resume
    from (the start of a message still being printed, or the end). A message counts as
    received if it was sent to ``own_port`` (the SIP listen port) or came from
    ``server_port`` (the registrar/proxy, which may use a TCP connection that baresip
    opened from an ephemeral port).
    """
    messages: list[SipMessage] = []
    index = start
    while index < len(lines):
        head = _TRACE_HEAD.match(lines[index])
        if head is None or index == 0 or lines[index - 1] != "#":
            index += 1
            continue
        parsed = _parse_one(lines, index + 1, head.groups())
        if parsed is None:
            return messages, index
        message, index = parsed
        message.received = message.destination.endswith(f":{own_port}") or (
            server_port > 0 and message.source.endswith(f":{server_port}")
        )
        messages.append(message)
    return messages, index


def _parse_one(
    lines: list[str], index: int, head: tuple[str, ...]
) -> tuple[SipMessage, int] | None:
    """Parse one message from its start line; None if it is not completely printed yet."""
    if index >= len(lines):
        return None
    start_line = lines[index]
    headers: list[tuple[str, str]] = []
    index += 1
    while index < len(lines) and lines[index] != "":
        name, _, value = lines[index].partition(":")
        headers.append((name.strip(), value.strip()))
        index += 1
    if index >= len(lines):
        return None
    index += 1
    length = next((int(v) for k, v in headers if k.lower() in ("content-length", "l")), 0)
    body: list[str] = []
    consumed = 0
    while consumed < length:
        if index >= len(lines):
            return None
        body.append(lines[index])
        consumed += len(lines[index].encode()) + 2
        index += 1
    message = SipMessage(head[0], head[1], head[2], False, start_line, headers, "\n".join(body))
    return message, index
