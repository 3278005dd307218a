"""Headset hot-plug benchmark: from unplugging the headset to audio on the fallback.

    python -m tests.benchmarks.hotplug [--repeats 5] [--json]

Starts its own Kamailio, PulseAudio (null sinks) and baresip, and the real phone engine
with the headset ``headset``/``headset_mic`` and the fallbacks ``spare``/``desk_mic``.
During one call with baresip, each repetition unloads the headset's and the microphone's
sink modules (unplugging them) and times:

- ``moved``: until the engine reports both moves (``AudioDeviceSwitched``);
- ``mic_frames``: until microphone frames flow again on the new stream (the engine's
  microphone level, measured on the bridge clock, shows the desk microphone's tone);
- ``far_end``: until the desk microphone's tone reaches baresip, measured on baresip's
  recording (its position when the tone starts, minus its position at the unplug);

then loads the sinks again and times the same for the return to the headset.

Null sinks start slowly: a new PortAudio stream on one delivers after ~2 s when nothing
plays into it in small blocks (``null_sink_stream_startup``: a fresh stream on an idle
sink's monitor), which real headsets do not do. The microphones' tones are therefore
played with a 20 ms buffer, which keeps their sinks in small blocks; the output side has
no such help, so only microphone timings are taken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from softphone import protocol as P
from tests.peers.audio import read_partial_wav, tone_envelope, write_tone
from tests.peers.baresip import Baresip
from tests.peers.engine import Agent, EngineProcess
from tests.peers.fixtures import USERS
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, free_port_range
from tests.peers.pulse import ALSA_DEVICES, SINKS, PulseAudio

HEADSET_MIC_HZ = 700.0
DESK_MIC_HZ = 900.0
CUSTOMER_HZ = 1200.0
BLOCK = 0.05
ON = 0.03
MIC_LATENCY_MS = 20  # the microphones' feeds keep their null sinks in small blocks
Result = dict[str, Any]


def log(message: str) -> None:
    """Progress on stderr, so that ``--json`` output on stdout stays clean."""
    print(message, file=sys.stderr, flush=True)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> float:
    """Poll ``predicate`` every 10 ms; the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout} s")
        time.sleep(0.01)


def tone_start(path: Path | None, freq_hz: float, since: float) -> float | None:
    """Position (s) of the first of five loud blocks of ``freq_hz`` after ``since``."""
    if path is None or not path.exists():
        return None
    samples, rate = read_partial_wav(path)
    envelope = tone_envelope(samples[round(since * rate):], rate, freq_hz, BLOCK)
    loud = envelope > ON
    for index in range(max(0, loud.size - 4)):
        if loud[index : index + 5].all():
            return since + index * BLOCK
    return None


def start_engine(kamailio: Kamailio, work: Path) -> Agent:
    work.mkdir(parents=True, exist_ok=True)
    engine = EngineProcess(work)
    engine.wait(P.EngineReady)
    sip_port = free_port("both")
    rtp_first, _ = free_port_range(40)
    engine.send(P.Configure(P.EngineConfig(sip_port=sip_port, rtp_port=rtp_first,
                                           rtp_port_range=40)))
    engine.wait(P.Configured)
    engine.send(P.SetAudioPolicy(fallback_devices=["spare", "desk_mic"]))
    engine.send(P.SetDevices("headset_mic", "headset", "ringer"))
    engine.wait(P.DevicesChanged, lambda e: e.speaker == "headset")
    agent = Agent(engine, kamailio, sip_port)
    agent.register()
    return agent


class Bench:
    def __init__(self, pulse: PulseAudio, agent: Agent, customer: Baresip, tones: Path) -> None:
        self.pulse, self.agent, self.customer, self.tones = pulse, agent, customer, tones

    def switches(self, reason: str, since: int) -> set[str]:
        found = self.agent.engine.all_of(P.AudioDeviceSwitched)[since:]
        return {e.role for e in found if e.reason == reason}

    def mic_level(self, since: int) -> bool:
        levels = self.agent.engine.all_of(P.AudioLevels)[since:]
        return any(level.microphone > 0.05 for level in levels)

    def move(self, reason: str, change: Callable[[], None], tone_hz: float) -> Result:
        engine = self.agent.engine
        switch_mark = len(engine.all_of(P.AudioDeviceSwitched))
        heard_at = self.customer.heard_seconds()
        started = time.monotonic()
        change()
        levels_mark = len(engine.all_of(P.AudioLevels))
        moved = wait_for(lambda: self.switches(reason, switch_mark) >= {"speaker", "microphone"},
                         10, f"no {reason} moves")
        levels_mark = max(levels_mark, len(engine.all_of(P.AudioLevels)))
        frames = wait_for(lambda: self.mic_level(levels_mark), 15,
                          "no microphone frames on the new stream")
        path = self.customer.recording_path
        wait_for(lambda: tone_start(path, tone_hz, heard_at) is not None, 20,
                 "the tone did not reach the far end")
        far_end = (tone_start(path, tone_hz, heard_at) or heard_at) - heard_at
        return {"moved": moved - started, "mic_frames": frames - started, "far_end": far_end}

    def unplug(self) -> None:
        self.pulse.unload_sinks("headset", "mic_feed")

    def plug_in(self) -> None:
        self.pulse.load_sink("headset")
        self.pulse.load_sink("mic_feed")
        self.pulse.play_into_mic(self.tones / "headset-mic.wav", latency_msec=MIC_LATENCY_MS)


def stream_startup(pulse: PulseAudio) -> float:
    """Seconds until a fresh PortAudio input stream on a null-sink monitor delivers."""
    code = (
        "import time, sounddevice as sd\n"
        "names = [d['name'] for d in sd.query_devices()]\n"
        "calls = []\n"
        "s = sd.RawInputStream(device=names.index('desk_mic'), samplerate=16000, channels=1,"
        " dtype='int16', blocksize=160, latency='low', callback=lambda *a: calls.append(1))\n"
        "t = time.monotonic(); s.start()\n"
        "while len(calls) < 10 and time.monotonic() - t < 10: time.sleep(0.005)\n"
        "print(time.monotonic() - t)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=pulse.full_env(),
                            capture_output=True, text=True, timeout=60, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> Result:
    return {"median_s": round(statistics.median(values), 3), "max_s": round(max(values), 3),
            "min_s": round(min(values), 3), "all_s": [round(v, 3) for v in values]}


def run(repeats: int, work: Path) -> Result:
    devices = {**ALSA_DEVICES, "desk_mic": "desk_mic_feed.monitor"}
    pulse = PulseAudio(work / "pulse", (*SINKS, "desk_mic_feed"), devices)
    kamailio = Kamailio(USERS, work / "kamailio")
    agent: Agent | None = None
    customer: Baresip | None = None
    tones = work / "tones"
    tones.mkdir()
    write_tone(tones / "headset-mic.wav", HEADSET_MIC_HZ, 60, 16000)
    write_tone(tones / "desk-mic.wav", DESK_MIC_HZ, 60, 16000)
    write_tone(tones / "customer.wav", CUSTOMER_HZ, 60, 8000)
    try:
        pulse.start()
        os.environ.update(pulse.env)
        kamailio.start()
        startup = [stream_startup(pulse) for _ in range(3)]
        agent = start_engine(kamailio, work / "engine")
        customer = Baresip("customer", USERS["customer"], work / "baresip",
                           (kamailio.host, kamailio.port), tone_wav=tones / "customer.wav")
        customer.start()
        customer.wait_registered()
        pulse.play_into_mic(tones / "headset-mic.wav", latency_msec=MIC_LATENCY_MS)
        pulse.play("desk_mic_feed", tones / "desk-mic.wav", latency_msec=MIC_LATENCY_MS)
        customer.dial(kamailio.aor("agent"))
        incoming = agent.engine.wait(P.IncomingCall)
        agent.engine.send(P.Answer(incoming.call_id))
        agent.engine.wait(P.MediaStateChanged, lambda e: e.active)
        customer.wait_call_established()
        wait_for(lambda: tone_start(customer.recording_path, HEADSET_MIC_HZ, 0.0) is not None,
                 20, "no audio from the headset microphone")
        bench = Bench(pulse, agent, customer, tones)
        unplugged, returned = [], []
        for number in range(1, repeats + 1):
            unplugged.append(bench.move("unplugged", bench.unplug, DESK_MIC_HZ))
            log(f"unplug {number}: {unplugged[-1]}")
            returned.append(bench.move("returned", bench.plug_in, HEADSET_MIC_HZ))
            log(f"plug in {number}: {returned[-1]}")
        dropped = [e for e in agent.engine.all_of(P.CallStateChanged) if e.state == "disconnected"]
        return {
            "repeats": repeats,
            "call_kept": not dropped,
            "null_sink_stream_startup": summary(startup),
            "unplug": {key: summary([r[key] for r in unplugged]) for key in unplugged[0]},
            "plug_in": {key: summary([r[key] for r in returned]) for key in returned[0]},
        }
    finally:
        if customer is not None:
            customer.stop()
        if agent is not None:
            agent.engine.stop()
        kamailio.stop()
        pulse.stop()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="unplug/plug-in rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hotplug-") as tmp:
        result = run(args.repeats, Path(tmp))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"call kept up through {args.repeats} unplug/plug-in rounds: {result['call_kept']}")
    startup = result["null_sink_stream_startup"]
    print(f"null-sink stream start-up (test device artefact): median {startup['median_s']} s")
    for phase in ("unplug", "plug_in"):
        for key, figures in result[phase].items():
            print(f"{phase:8} {key:11} median {figures['median_s']:.3f} s  "
                  f"max {figures['max_s']:.3f} s  all {figures['all_s']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
