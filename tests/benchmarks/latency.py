"""Delay from the microphone device to RTP on the wire, measured with two clocks in one.

Tone bursts are played into the ``mic_feed`` null sink. Two observers timestamp them
with the same (wall) clock:

* :class:`MonitorCapture` reads ``mic_feed.monitor`` through ``pacat`` with 5 ms
  fragments, i.e. the same device the app's microphone stream reads. The time of each
  sample is the lower envelope of "read time - samples read so far / rate", i.e. the
  earliest a low-latency PulseAudio client can have that sample.
* :class:`RtpSniffer` captures the engine's RTP on the loopback interface with a packet
  socket (needs CAP_NET_RAW) and kernel receive timestamps, and decodes G.711.

The delay of a burst is "time of the RTP packet carrying its onset" - "time the onset
was available at the device".
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import struct
import subprocess
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median

import numpy as np
import numpy.typing as npt

from tests.peers import procs
from tests.peers.pulse import PulseAudio

Floats = npt.NDArray[np.float64]

ETH_P_IP = 0x0800
PACKET_HOST = 0
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
RTP_RATE = 8000
G711_TYPES = (0, 8)


# --------------------------------------------------------------------------- signal


def write_bursts(
    path: Path,
    count: int,
    period: float = 1.007,
    burst_ms: int = 80,
    tone_hz: float = 1000.0,
    rate: int = 16000,
    lead: float = 0.5,
) -> Path:
    """A WAV of ``count`` tone bursts ``period`` s apart, after ``lead`` s of silence.

    The period is not a multiple of 20 ms, so the onsets fall at different places in the
    engine's 20 ms frames and packets.
    """
    total = round((lead + count * period) * rate)
    samples = np.zeros(total)
    t = np.arange(round(burst_ms * rate / 1000)) / rate
    burst = 0.7 * np.sin(2 * np.pi * tone_hz * t)
    for index in range(count):
        start = round((lead + index * period) * rate)
        samples[start : start + burst.size] = burst
    pcm = np.round(samples * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def onsets(samples: Floats, rate: int, quiet_s: float = 0.3) -> list[int]:
    """Sample indices where the level first exceeds 25 % of the peak after quiet_s of quiet."""
    level = np.abs(samples)
    if level.size == 0 or level.max() < 0.05:
        return []
    loud = np.flatnonzero(level >= 0.25 * level.max())
    starts = np.concatenate(([0], np.flatnonzero(np.diff(loud) > round(quiet_s * rate)) + 1))
    return [int(loud[i]) for i in starts]


# --------------------------------------------------------------------------- device side


class MonitorCapture:
    """``pacat --record`` of a PulseAudio source, each read timestamped (wall clock)."""

    def __init__(self, pulse: PulseAudio, source: str, log_path: Path, rate: int = 16000) -> None:
        self.rate = rate
        self._data = bytearray()
        self._marks: list[tuple[float, int]] = []  # (read time, bytes so far)
        argv = [
            "pacat", "--record", f"--device={source}", "--raw", "--format=s16le",
            f"--rate={rate}", "--channels=1", "--latency-msec=5",
        ]  # fmt: skip
        with open(log_path, "ab") as log:
            self._proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=log, env=pulse.full_env(),
                start_new_session=True,
            )  # fmt: skip
        self._thread = threading.Thread(target=self._read, name="monitor-capture", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while chunk := os.read(fd, 4096):
            now = time.time()
            self._data.extend(chunk)
            self._marks.append((now, len(self._data)))

    def stop(self) -> tuple[Floats, float]:
        """Stop; return the samples and the wall time of sample 0 (lower envelope)."""
        procs.stop(self._proc, grace=2.0)
        self._thread.join(timeout=5)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        usable = len(self._data) // 2 * 2
        samples = np.frombuffer(bytes(self._data[:usable]), "<i2").astype(np.float64) / 32768
        if not self._marks:
            return samples, 0.0
        start = min(when - size / 2 / self.rate for when, size in self._marks)
        return samples, start


# --------------------------------------------------------------------------- RTP side


@dataclass
class RtpPacket:
    """One captured RTP packet: kernel receive time (wall clock) and decoded samples."""

    when: float
    ssrc: int
    seq: int
    timestamp: int
    samples: Floats


def _ulaw_table() -> Floats:
    codes = ~np.arange(256) & 0xFF
    exponent = (codes >> 4) & 7
    magnitude = ((((codes & 0x0F) << 3) + 0x84) << exponent) - 0x84
    return np.where(codes & 0x80, -magnitude, magnitude) / 32768.0


def _alaw_table() -> Floats:
    codes = np.arange(256) ^ 0x55
    exponent = (codes >> 4) & 7
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(codes & 0x80, magnitude, -magnitude) / 32768.0


G711 = {0: _ulaw_table(), 8: _alaw_table()}


def parse_rtp(ip_packet: bytes, ports: range) -> tuple[int, int, int, int, Floats] | None:
    """``(ssrc, seq, timestamp, payload type, samples)`` of a G.711 RTP packet to ``ports``."""
    if len(ip_packet) < 20 or ip_packet[9] != socket.IPPROTO_UDP:
        return None
    ihl = (ip_packet[0] & 0x0F) * 4
    _, dst = struct.unpack_from("!HH", ip_packet, ihl)
    rtp = ip_packet[ihl + 8 :]
    if dst not in ports or len(rtp) < 12 or rtp[0] >> 6 != 2:
        return None
    payload_type = rtp[1] & 0x7F
    if payload_type not in G711_TYPES:
        return None
    seq, timestamp, ssrc = struct.unpack_from("!HII", rtp, 2)
    offset = 12 + 4 * (rtp[0] & 0x0F)
    if rtp[0] & 0x10:  # header extension
        offset += 4 + 4 * struct.unpack_from("!H", rtp, offset + 2)[0]
    payload = np.frombuffer(rtp[offset:], np.uint8)
    return ssrc, seq, timestamp, payload_type, G711[payload_type][payload]


class RtpSniffer:
    """Captures G.711 RTP sent to UDP ``ports`` on ``lo``, with kernel timestamps."""

    def __init__(self, ports: range) -> None:
        self.ports = ports
        self.packets: list[RtpPacket] = []
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self._sock.bind(("lo", ETH_P_IP))
        self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtp-sniffer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, ancillary, _, address = self._sock.recvmsg(4096, socket.CMSG_SPACE(16))
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] != PACKET_HOST:  # loopback shows each packet outgoing and incoming
                continue
            parsed = parse_rtp(data, self.ports)
            if parsed is not None:
                ssrc, seq, stamp, _, samples = parsed
                self.packets.append(RtpPacket(_kernel_time(ancillary), ssrc, seq, stamp, samples))

    def stop(self) -> list[RtpPacket]:
        """Stop capturing; return the packets of the stream seen last, in RTP order."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        if not self.packets:
            return []
        ssrc = self.packets[-1].ssrc
        return sorted((p for p in self.packets if p.ssrc == ssrc), key=lambda p: p.timestamp)


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanos = struct.unpack_from("@qq", data)
            return float(seconds) + float(nanos) / 1e9
    return time.time()


def sniffing_allowed() -> str:
    """Empty if a packet socket can be opened, else why not."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP)).close()
    except OSError as exc:
        return f"cannot capture RTP ({exc}); needs root or CAP_NET_RAW"
    return ""


# --------------------------------------------------------------------------- analysis


@dataclass
class BurstDelay:
    """One burst: device onset time, RTP packet time, and the packetisation wait in it."""

    device_time: float
    wire_delay_ms: float
    packetisation_ms: float


@dataclass
class DelayResult:
    """Per-burst delays plus what was found in each stream."""

    bursts: list[BurstDelay] = field(default_factory=list)
    device_onsets: int = 0
    rtp_onsets: int = 0
    rtp_packets: int = 0

    def summary(self) -> dict[str, float | int | None]:
        wire = [b.wire_delay_ms for b in self.bursts]
        pack = [b.packetisation_ms for b in self.bursts]
        return {
            "bursts_matched": len(self.bursts),
            "device_onsets": self.device_onsets,
            "rtp_onsets": self.rtp_onsets,
            "rtp_packets": self.rtp_packets,
            "median_ms": round(median(wire), 1) if wire else None,
            "min_ms": round(min(wire), 1) if wire else None,
            "max_ms": round(max(wire), 1) if wire else None,
            "packetisation_mean_ms": round(mean(pack), 1) if pack else None,
        }


def _rtp_onsets(packets: list[RtpPacket]) -> list[tuple[float, float]]:
    """(packet time, packetisation wait in s) of every onset in the RTP stream."""
    if not packets:
        return []
    first = packets[0].timestamp
    length = packets[-1].timestamp - first + packets[-1].samples.size
    audio = np.zeros(length)
    for packet in packets:
        start = packet.timestamp - first
        audio[start : start + packet.samples.size] = packet.samples
    found = []
    for index in onsets(audio, RTP_RATE):
        packet = next(
            p for p in packets
            if p.timestamp - first <= index < p.timestamp - first + p.samples.size
        )  # fmt: skip
        remaining = packet.timestamp - first + packet.samples.size - index
        found.append((packet.when, remaining / RTP_RATE))
    return found


def analyse(
    device: Floats, device_start: float, device_rate: int, packets: list[RtpPacket]
) -> DelayResult:
    """Pair every device onset with the first RTP onset after it (within 0.9 s)."""
    device_times = [device_start + i / device_rate for i in onsets(device, device_rate)]
    rtp = _rtp_onsets(packets)
    result = DelayResult(device_onsets=len(device_times), rtp_onsets=len(rtp))
    result.rtp_packets = len(packets)
    for when in device_times:
        match = next(((t, wait) for t, wait in rtp if when - 0.02 <= t < when + 0.9), None)
        if match is not None:
            result.bursts.append(BurstDelay(when, (match[0] - when) * 1000, match[1] * 1000))
    return result


# --------------------------------------------------------------------------- separately measured

_BUFFER_LINE = re.compile(r"mic buffer: (\d+) ms queued \(target (\d+) ms\)")


def drift_buffer_fill(engine_log: Path, offset: int) -> list[tuple[int, int]]:
    """``(fill, target)`` in ms of the microphone drift buffer, logged by the engine.

    The engine logs a snapshot every 2 s at debug level; only lines after byte
    ``offset`` of the log are read.
    """
    with contextlib.suppress(OSError), open(engine_log, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
        return [(int(m.group(1)), int(m.group(2))) for m in _BUFFER_LINE.finditer(text)]
    return []


def source_output_latencies(pulse: PulseAudio) -> dict[int, float]:
    """PulseAudio's buffer + source latency (ms) of each recording stream, by client pid."""
    text = pulse.pactl("list", "source-outputs")
    found: dict[int, float] = {}
    for block in text.split("Source Output #")[1:]:
        pid = re.search(r'application\.process\.id = "(\d+)"', block)
        buffer = re.search(r"Buffer Latency: ([\d.]+) usec", block)
        source = re.search(r"Source Latency: ([\d.]+) usec", block)
        if pid and buffer and source:
            found[int(pid.group(1))] = (float(buffer.group(1)) + float(source.group(1))) / 1000
    return found
