"""A private PulseAudio server with null sinks, visible to PortAudio through ALSA.

Sinks: ``headset`` (what the app plays to the user), ``mic_feed`` (what the user "says":
play into it, the app records its monitor), ``ringer`` and ``spare`` (a second output for
fallback tests). ``$HOME/.asoundrc`` exposes them to PortAudio's ALSA host API as the
devices ``headset``, ``headset_mic`` (= ``mic_feed.monitor``), ``ringer``, ``spare`` and
``default`` (the pulse server's default sink/source).

Example::

    with PulseAudio(tmp_path / "pulse") as pa:
        env = pa.env  # give to a subprocess or monkeypatch into os.environ
        rec = pa.record("headset.monitor", tmp_path / "heard.wav")
        ...  # the app plays into device "headset"
        rec.stop()

PortAudio lists devices when it is initialised: a process that imported sounddevice
before the environment was set must call ``sd._terminate(); sd._initialize()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from tests.peers import procs
from tests.peers.audio import wav_is_complete, wav_seconds_written
from tests.peers.net import wait_until
from tests.peers.procs import Peer

SINKS = ("headset", "mic_feed", "ringer", "spare")
# PortAudio device name -> pulse sink/source it maps to.
ALSA_DEVICES = {
    "headset": "headset",
    "headset_mic": "mic_feed.monitor",
    "ringer": "ringer",
    "spare": "spare",
}


def refresh_portaudio() -> bool:
    """Make an already imported ``sounddevice`` rescan devices (closes all its streams).

    PortAudio snapshots the device list when initialised, so a process that imported
    sounddevice before the environment pointed at this server must refresh. Returns False
    if sounddevice was not imported (nothing to do).
    """
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return False
    sd._terminate()
    sd._initialize()
    return True


class PulseError(RuntimeError):
    """The PulseAudio server failed to start or a pactl command failed."""


def asoundrc_text(devices: dict[str, str] | None = None) -> str:
    """ALSA config mapping PCM names to pulse sinks/sources, plus a pulse ``default``."""
    devices = ALSA_DEVICES if devices is None else devices
    blocks = [
        "pcm.!default {\n    type pulse\n}\nctl.!default {\n    type pulse\n}\n",
    ]
    for name, target in devices.items():
        blocks.append(
            f'pcm.{name} {{\n    type pulse\n    device "{target}"\n'
            f'    hint {{\n        show on\n        description "{name}"\n    }}\n}}\n'
        )
    return "\n".join(blocks)


class Stoppable:
    """A helper process (player or recorder) that is stopped on exit or by :meth:`stop`."""

    def __init__(self, proc: subprocess.Popen[bytes], path: Path) -> None:
        """Wrap ``proc`` working on ``path``."""
        self.proc = proc
        self.path = path

    def poll(self) -> int | None:
        """Exit code, or None while it runs."""
        return self.proc.poll()

    def stop(self) -> Path:
        """Stop the process (and its children); idempotent. Returns the file path."""
        procs.stop(self.proc)
        return self.path

    def __enter__(self) -> Stoppable:
        """Use as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving the ``with`` block."""
        self.stop()


class Playback(Stoppable):
    """A WAV played (optionally looped) into a sink by ``paplay``."""


class Recording(Stoppable):
    """``parecord`` of a source into a mono 16-bit WAV; :meth:`stop` finalises the file."""

    def __init__(self, proc: subprocess.Popen[bytes], path: Path, rate: int) -> None:
        """Wrap a running ``parecord`` writing ``path`` at ``rate`` Hz."""
        super().__init__(proc, path)
        self.rate = rate

    def seconds(self) -> float:
        """Audio captured so far, from the file size (works while still recording)."""
        return wav_seconds_written(self.path)

    def wait_seconds(self, seconds: float, timeout: float = 15.0) -> None:
        """Wait until at least ``seconds`` of audio were captured."""
        wait_until(
            lambda: self.seconds() >= seconds,
            timeout,
            message=lambda: f"recording {self.path} has {self.seconds():.2f}s, not {seconds}s",
        )

    def stop(self) -> Path:
        """Stop ``parecord`` with SIGINT so it writes the WAV header; return the path."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        procs.stop(self.proc)
        wait_until(
            lambda: wav_is_complete(self.path),
            5,
            message=f"recording {self.path} was not finalised",
        )
        return self.path


class PulseAudio(Peer):
    """A pulseaudio daemon private to one test, with null sinks and an ``.asoundrc``."""

    def __init__(
        self,
        work_dir: Path,
        sinks: tuple[str, ...] = SINKS,
        devices: dict[str, str] | None = None,
    ) -> None:
        """Prepare dirs under ``work_dir``; the runtime dir is short (socket path limit).

        ``devices`` maps PortAudio (ALSA) device names to sinks or sources
        (default :data:`ALSA_DEVICES`).
        """
        self.devices = ALSA_DEVICES if devices is None else devices
        self.work_dir = Path(work_dir)
        self.home = self.work_dir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self._runtime = tempfile.TemporaryDirectory(prefix="pa-")
        self.runtime_dir = Path(self._runtime.name)
        self.runtime_dir.chmod(0o700)
        self.socket_path = self.runtime_dir / "pulse" / "native"
        self.log_path = self.work_dir / "pulseaudio.log"
        self.sinks = sinks
        self._modules: dict[str, int] = {}
        self._helpers: list[Stoppable] = []
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """Variables that point libpulse, ALSA and PortAudio at this server."""
        return {
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_RUNTIME_PATH": str(self.runtime_dir / "pulse"),
            "PULSE_SERVER": f"unix:{self.socket_path}",
        }

    def full_env(self) -> dict[str, str]:
        """``os.environ`` with :attr:`env` applied, for subprocesses."""
        return {**os.environ, **self.env}

    def start(self, timeout: float = 20.0) -> PulseAudio:
        """Write ``.asoundrc``, start pulseaudio in the foreground and load the sinks."""
        (self.home / ".asoundrc").write_text(asoundrc_text(self.devices))
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            "pulseaudio", "--daemonize=no", "--system=no", "-n", "--exit-idle-time=-1",
            "--realtime=no", "--high-priority=no", "--use-pid-file=no", "--disallow-exit",
            "--log-target=stderr", "--log-level=notice",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket_path}",
        ]  # fmt: skip
        self._proc = procs.start(argv, self.log_path, env=self.full_env(), cwd=self.home)
        try:
            wait_until(
                self._ready,
                timeout,
                interval=0.1,
                message=lambda: f"pulseaudio did not come up\n{procs.tail(self.log_path)}",
            )
            for sink in self.sinks:
                self.load_sink(sink)
            self.pactl("set-default-sink", self.sinks[0])
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        """True once ``pactl info`` answers; raise if the daemon died."""
        if self._proc is None or self._proc.poll() is not None:
            raise PulseError(f"pulseaudio exited early\n{procs.tail(self.log_path)}")
        return self._run(["pactl", "info"]).returncode == 0

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Run a pulse client tool against this server."""
        return subprocess.run(
            argv, env=self.full_env(), capture_output=True, text=True, timeout=15, check=False
        )

    def pactl(self, *args: str) -> str:
        """Run ``pactl ARGS`` and return stdout; raise :class:`PulseError` on failure."""
        result = self._run(["pactl", *args])
        if result.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def load_sink(self, name: str) -> int:
        """Create null sink ``name`` (its monitor is ``name.monitor``); return module index."""
        description = f"sink_properties=device.description={name}"
        index = int(self.pactl("load-module", "module-null-sink", f"sink_name={name}", description))
        self._modules[name] = index
        return index

    def unload_sink(self, name: str) -> None:
        """Remove null sink ``name`` (simulates unplugging a device)."""
        self.pactl("unload-module", str(self._modules.pop(name)))

    def unload_sinks(self, *names: str) -> None:
        """Remove several null sinks with one ``pactl`` per sink, back to back."""
        for name in names:
            self.unload_sink(name)

    def sink_names(self) -> list[str]:
        """Names of the sinks the server currently has."""
        rows = self.pactl("list", "short", "sinks").splitlines()
        return [row.split("\t")[1] for row in rows if "\t" in row]

    def play(
        self, sink: str, wav_path: Path, loop: bool = True, latency_msec: int = 0
    ) -> Playback:
        """Play ``wav_path`` into ``sink`` with paplay, looping until stopped if ``loop``.

        ``latency_msec`` asks paplay for a small buffer: a null sink then runs in small
        blocks, so a new stream on its monitor starts in a fraction of a second like a
        real microphone (with paplay's default 2 s buffer it takes about 2 s).
        """
        latency = f"--latency-msec={latency_msec}" if latency_msec else "--volume=65536"
        script = 'while paplay --device="$1" "$4" "$2"; do [ "$3" = 1 ] || break; done'
        argv = ["sh", "-c", script, "play", sink, str(wav_path), "1" if loop else "0", latency]
        proc = procs.start(argv, self.work_dir / f"paplay-{sink}.log", env=self.full_env())
        playback = Playback(proc, Path(wav_path))
        self._helpers.append(playback)
        return playback

    def play_into_mic(self, wav_path: Path, loop: bool = True, latency_msec: int = 0) -> Playback:
        """Feed ``wav_path`` to the microphone (device ``headset_mic`` hears it)."""
        return self.play("mic_feed", wav_path, loop, latency_msec)

    def record(self, source_name: str, wav_path: Path, rate: int = 16000) -> Recording:
        """Record ``source_name`` (e.g. ``headset.monitor``) into a mono 16-bit WAV."""
        argv = [
            "parecord", f"--device={source_name}", "--file-format=wav", "--format=s16le",
            f"--rate={rate}", "--channels=1", "--latency-msec=20", str(wav_path),
        ]  # fmt: skip
        log = self.work_dir / f"parecord-{Path(wav_path).stem}.log"
        recording = Recording(procs.start(argv, log, env=self.full_env()), Path(wav_path), rate)
        self._helpers.append(recording)
        return recording

    def portaudio_devices(self) -> list[dict[str, object]]:
        """``sounddevice.query_devices()`` as seen by a fresh process under :attr:`env`."""
        code = (
            "import json, sounddevice as sd\n"
            "print(json.dumps([dict(d) for d in sd.query_devices()]))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=self.full_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise PulseError(f"query_devices failed: {result.stderr}")
        devices: list[dict[str, object]] = json.loads(result.stdout.strip().splitlines()[-1])
        return devices

    @property
    def running(self) -> bool:
        """True while the daemon runs."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Stop players/recorders and the daemon; remove the runtime dir. Idempotent."""
        for helper in self._helpers:
            with contextlib.suppress(AssertionError):
                helper.stop()
        self._helpers.clear()
        procs.stop(self._proc)
        self._runtime.cleanup()

