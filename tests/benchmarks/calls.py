"""Call benchmark of the real app against real peers (a command, not a pytest test).

    python -m tests.benchmarks.calls [--calls 20,100] [--json]

Starts its own PulseAudio, Kamailio, an auto-answering baresip and the real app
(offscreen GUI + engine process) and measures:

1. seconds from launching the app until it reports "registered" (several starts);
2. CPU (% of one core) of the engine and of the baresip on the other end, idle and
   during one steady call, from ``/proc/PID/stat``;
3. the delay from the microphone device (``mic_feed.monitor``) to the engine's RTP on
   the wire, from tone bursts timestamped at the device and in captured RTP (root);
4. RSS of the GUI and engine processes after N calls in a row and its slope.

Runs itself inside a private D-Bus session with an unlocked gnome-keyring
(``tests.peers.keyring_session``) unless it already runs in one. Every process it starts
is stopped at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median
from types import FrameType
from typing import Any

import numpy as np

from softphone.control import NotRunning
from tests.benchmarks import latency
from tests.benchmarks.procstat import CpuUsage, measure_cpu, rss_kib
from tests.benchmarks.rig import Rig
from tests.peers.keyring_session import keyring_session_argv, session_env

REPO = Path(__file__).resolve().parents[2]
IN_SESSION = "KEYRING_SESSION_PASSWORD"
PID_FILE = "SOFTPHONE_BENCH_PID_FILE"
SETTLE_SECONDS = 3.0
GROWTH_KIB_PER_CALL = 10.0
MAX_FAILED_CALLS = 5

Result = dict[str, Any]


def log(message: str) -> None:
    """Progress on stderr, so that ``--json`` output on stdout stays clean."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- phases


def timed_start(rig: Rig, label: str) -> float:
    seconds = rig.start_app()
    log(f"{label}: registered after {seconds:.2f} s")
    return seconds


def _cpu_json(usage: dict[str, CpuUsage]) -> Result:
    return {
        name: {"mean_pct": round(u.mean, 2), "peak_1s_pct": round(u.peak_1s, 1)}
        for name, u in usage.items()
    }


def cpu_phase(rig: Rig, idle_seconds: float, call_seconds: float) -> Result:
    """CPU of engine, GUI and baresip while registered and idle, then during one call."""
    pids = rig.pids()
    time.sleep(SETTLE_SECONDS)
    log(f"CPU: sampling {idle_seconds:.0f} s idle (registered, no call)")
    idle = measure_cpu(pids, idle_seconds)
    call_id = rig.dial_customer()
    time.sleep(SETTLE_SECONDS)
    log(f"CPU: sampling {call_seconds:.0f} s of a steady call")
    busy = measure_cpu(pids, call_seconds)
    still_up = any(c["id"] == call_id for c in rig.running_app.calls())
    rig.hang_up(call_id)
    return {
        "idle": _cpu_json(idle),
        "call": _cpu_json(busy),
        "call_seconds": round(busy["engine"].seconds, 1),
        "idle_seconds": round(idle["engine"].seconds, 1),
        "call_stayed_up": still_up,
        "engine_per_call_pct": round(busy["engine"].mean - idle["engine"].mean, 2),
        "baresip_per_call_pct": round(busy["baresip"].mean - idle["baresip"].mean, 2),
        "engine_call_samples_pct": [round(s, 1) for s in busy["engine"].samples],
    }


def _pulse_latency(rig: Rig, pids: tuple[int, int], into: dict[int, list[float]]) -> None:
    try:
        found = latency.source_output_latencies(rig.pulse)
    except Exception as exc:
        log(f"pactl list source-outputs failed: {exc}")
        return
    for pid in pids:
        if pid in found:
            into.setdefault(pid, []).append(found[pid])


def _play_bursts(rig: Rig, wav: Path, seconds: float, engine_pid: int, reference: int) -> Result:
    """Play the bursts into the mic while sampling PulseAudio's latencies."""
    latencies: dict[int, list[float]] = {}
    playback = rig.pulse.play("mic_feed", wav, loop=False)
    deadline = time.monotonic() + seconds + 10
    while playback.poll() is None and time.monotonic() < deadline:
        _pulse_latency(rig, (engine_pid, reference), latencies)
        time.sleep(1.0)
    playback.stop()
    time.sleep(1.0)
    return {
        "engine_stream_ms": _mean(latencies.get(engine_pid, [])),
        "reference_stream_ms": _mean(latencies.get(reference, [])),
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def delay_phase(rig: Rig, work_dir: Path, bursts: int) -> Result:
    """Delay from the microphone device to RTP on the wire (see ``latency``)."""
    problem = latency.sniffing_allowed()
    if problem:
        return {"error": problem}
    rig.stop_mic_tone()
    wav = latency.write_bursts(work_dir / "bursts.wav", bursts)
    first, last = rig.baresip.rtp_ports
    engine_pid = rig.pids()["engine"]
    sniffer = latency.RtpSniffer(range(first, last + 1))
    capture: latency.MonitorCapture | None = None
    try:
        call_id = rig.dial_customer()
        time.sleep(SETTLE_SECONDS)
        capture = latency.MonitorCapture(rig.pulse, "mic_feed.monitor", work_dir / "pacat.log")
        time.sleep(0.5)
        log_offset = rig.engine_log().stat().st_size
        log(f"delay: playing {bursts} tone bursts into the microphone")
        pulse = _play_bursts(rig, wav, bursts + 1.0, engine_pid, capture.pid)
        device, device_start = capture.stop()
    finally:
        packets = sniffer.stop()
        if capture is not None:
            capture.stop()
    rig.hang_up(call_id)
    rig.start_mic_tone()
    found = latency.analyse(device, device_start, capture.rate, packets)
    fills = latency.drift_buffer_fill(rig.engine_log(), log_offset)
    return {
        **found.summary(),
        "per_burst_ms": [round(b.wire_delay_ms, 1) for b in found.bursts],
        "drift_buffer_mean_ms": _mean([fill for fill, _ in fills]),
        "drift_buffer_target_ms": fills[-1][1] if fills else None,
        "drift_buffer_snapshots": len(fills),
        "pulse_latency_ms": pulse,
    }


def _one_call(rig: Rig, hold: float) -> None:
    call_id = rig.dial_customer()
    time.sleep(hold)
    rig.hang_up(call_id)


def _fit_slope(points: list[tuple[int, int]]) -> float | None:
    """Least-squares slope (KiB per call) of ``(call number, KiB)``."""
    if len(points) < 3:
        return None
    calls, kib = zip(*points, strict=True)
    return float(np.polyfit(calls, kib, 1)[0])


def _verdict(slope: float | None, late_slope: float | None) -> str:
    if slope is None or late_slope is None:
        return "not enough calls"
    if slope > GROWTH_KIB_PER_CALL and late_slope > GROWTH_KIB_PER_CALL:
        return "keeps growing"
    if slope > GROWTH_KIB_PER_CALL:
        return "grew, then levelled off"
    return "flat"


def _growth(rss: list[tuple[int, int, int]], column: int, start: int) -> Result:
    """Slope over the calls after ``start`` and over the last half of them."""
    points = [(row[0], row[column]) for row in rss if row[0] >= start]
    end = rss[-1][0]
    late = [p for p in points if p[0] >= start + (end - start) // 2]
    slope, late_slope = _fit_slope(points), _fit_slope(late)
    return {
        "slope_kib_per_call": None if slope is None else round(slope, 1),
        "late_half_slope_kib_per_call": None if late_slope is None else round(late_slope, 1),
        "verdict": _verdict(slope, late_slope),
    }


def _call_cycle(rig: Rig, number: int, hold: float, failures: list[str]) -> None:
    """One call; a failed call is noted (and cleaned up) unless there were too many."""
    try:
        _one_call(rig, hold)
    except (AssertionError, NotRunning, OSError) as exc:
        if not rig.app_alive():
            return
        failures.append(f"call {number}: {str(exc).splitlines()[0]}")
        log(failures[-1])
        if len(failures) > MAX_FAILED_CALLS:
            raise
        rig.hang_up()


def memory_phase(rig: Rig, checkpoints: list[int], hold: float) -> Result:
    """RSS of GUI and engine before the first call and after every call.

    Stops early (and says so) if the app exits.
    """
    pids = rig.pids()
    time.sleep(SETTLE_SECONDS)
    rss = [(0, rss_kib(pids["gui"]), rss_kib(pids["engine"]))]
    failures: list[str] = []
    durations: list[float] = []
    crash: str | None = None
    for number in range(1, checkpoints[-1] + 1):
        started = time.monotonic()
        _call_cycle(rig, number, hold, failures)
        if not rig.app_alive():
            crash = f"the app exited during call {number}: {rig.app_exit_reason()}"
            log(crash)
            break
        durations.append(time.monotonic() - started)
        engine_now = int(rig.running_app.status()["engine"]["pid"])
        if engine_now != pids["engine"]:
            failures.append(f"call {number}: engine restarted (pid {engine_now})")
            pids["engine"] = engine_now
        rss.append((number, rss_kib(pids["gui"]), rss_kib(pids["engine"])))
        if number % 10 == 0:
            log(f"memory: {number} calls, GUI {rss[-1][1]} KiB, engine {rss[-1][2]} KiB")
    wanted = {0, *checkpoints, rss[-1][0]}
    start = checkpoints[0] if len(checkpoints) > 1 else 0
    return {
        "rss_kib": {str(n): {"gui": g, "engine": e} for n, g, e in rss if n in wanted},
        "checkpoints": [0, *checkpoints],
        "calls_completed": rss[-1][0],
        "crash": crash,
        "slope_from_call": start,
        "gui": _growth(rss, 1, start),
        "engine": _growth(rss, 2, start),
        "failures": failures,
        "median_call_seconds": round(median(durations), 2) if durations else None,
        "every_call_kib": [[n, g, e] for n, g, e in rss],
    }


# --------------------------------------------------------------------------- the run


def _code_version() -> str:
    """``git describe --always --dirty`` of the repository (what was measured)."""
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def run(args: argparse.Namespace, work_dir: Path) -> Result:
    checkpoints = sorted({int(c) for c in args.calls.split(",") if c.strip()})
    results: Result = {
        "code": _code_version(),
        "cores": os.cpu_count(),
        "load_avg_start": os.getloadavg()[0],
    }
    starts: list[float] = []
    with Rig(work_dir, log) as rig:
        log(f"starting PulseAudio, Kamailio and baresip in {work_dir}")
        rig.start_peers()
        rig.start_mic_tone()
        rig.configure_app("info")
        starts.append(timed_start(rig, "start 1 (fresh profile)"))
        results["cpu"] = cpu_phase(rig, args.idle_seconds, args.cpu_seconds)
        rig.stop_app()
        for extra in range(max(0, args.starts - 3)):
            starts.append(timed_start(rig, f"start {len(starts) + 1}"))
            rig.stop_app()
            del extra
        rig.set_log_level("debug")  # the engine logs its drift-buffer fill at debug level
        starts.append(timed_start(rig, f"start {len(starts) + 1} (debug log)"))
        results["delay"] = delay_phase(rig, work_dir, args.bursts)
        rig.stop_app()
        rig.set_log_level("info")
        starts.append(timed_start(rig, f"start {len(starts) + 1}"))
        log(f"memory: {checkpoints[-1]} calls, {args.hold:.1f} s connected each")
        results["memory"] = memory_phase(rig, checkpoints, args.hold)
        rig.stop_app()
        results["app_exits"] = rig.exits
    results["registration"] = {
        "median_s": round(median(starts), 2),
        "samples_s": [round(s, 2) for s in starts],
    }
    results["load_avg_end"] = os.getloadavg()[0]
    return results


# --------------------------------------------------------------------------- output


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _cpu_lines(cpu: Result) -> list[str]:
    lines = ["2. CPU, % of one core (mean / highest 1 s)"]
    for name in ("engine", "baresip", "gui"):
        idle, call = cpu["idle"][name], cpu["call"][name]
        lines.append(
            f"   {name:<8} idle {idle['mean_pct']:6.2f} / {idle['peak_1s_pct']:5.1f}"
            f"   in call {call['mean_pct']:6.2f} / {call['peak_1s_pct']:5.1f}"
        )
    lines.append(
        f"   per active call (call - idle): engine {cpu['engine_per_call_pct']:.2f} %,"
        f" baresip {cpu['baresip_per_call_pct']:.2f} %"
        f"   [{cpu['call_seconds']} s call, {cpu['idle_seconds']} s idle]"
    )
    if not cpu["call_stayed_up"]:
        lines.append("   WARNING: the call was gone at the end of the sampling window")
    return lines


def _pulse_extra(pulse: Result) -> float | None:
    engine, reference = pulse["engine_stream_ms"], pulse["reference_stream_ms"]
    return None if engine is None or reference is None else round(engine - reference, 1)


def _delay_lines(delay: Result) -> list[str]:
    head = "3. Microphone device -> engine RTP on the wire"
    if "error" in delay:
        return [head, f"   not measured: {delay['error']}"]
    pulse = delay["pulse_latency_ms"]
    median_ms = delay["median_ms"]
    known = [delay["drift_buffer_mean_ms"], _pulse_extra(pulse), delay["packetisation_mean_ms"]]
    rest = None
    if median_ms is not None and all(v is not None for v in known):
        rest = round(median_ms - sum(v for v in known if v is not None), 1)
    return [
        head,
        f"   measured: median {_fmt(median_ms, ' ms')}  (min {_fmt(delay['min_ms'])},"
        f" max {_fmt(delay['max_ms'])}; {delay['bursts_matched']} of"
        f" {delay['device_onsets']} bursts matched, {delay['rtp_packets']} RTP packets)",
        "   pieces measured separately (approximate; they overlap a little):",
        f"     engine mic drift buffer, mean of {delay['drift_buffer_snapshots']} log snapshots"
        f"   {_fmt(known[0], ' ms')} (target {_fmt(delay['drift_buffer_target_ms'], ' ms', 0)})",
        f"     PulseAudio latency of the engine's record stream   {_fmt(known[1], ' ms')}"
        f" more than pacat's ({_fmt(pulse['engine_stream_ms'], ' ms')}"
        f" vs {_fmt(pulse['reference_stream_ms'], ' ms')})",
        f"     onset waiting for its 20 ms RTP frame to complete   {_fmt(known[2], ' ms')}",
        f"     rest (ALSA plugin + PortAudio 10 ms blocks, bridge, resampler, scheduling)"
        f" {_fmt(rest, ' ms')}",
        "   device time: when a 5 ms PulseAudio client (pacat) could first read the sample",
        "   from mic_feed.monitor; RTP time: kernel timestamp of the packet on lo.",
        "   Not included: the speaker path, the network, baresip's jitter buffer.",
    ]


def _rss_cell(points: Result, name: str, proc: str) -> str:
    return f"{points[name][proc] / 1024:9.1f}" if name in points else f"{'n/a':>9}"


def _memory_lines(memory: Result) -> list[str]:
    points = memory["rss_kib"]
    names = [str(n) for n in memory["checkpoints"]]
    last = str(memory["calls_completed"])
    if last not in names:
        names.append(last)
    lines = ["4. Resident memory (MiB) after N calls in a row"]
    lines.append(
        "   calls      " + "".join(f"{n:>9}" for n in names) + "   slope KiB/call  verdict"
    )
    for proc in ("gui", "engine"):
        growth = memory[proc]
        cells = "".join(_rss_cell(points, n, proc) for n in names)
        lines.append(
            f"   {proc:<10} {cells}   {_fmt(growth['slope_kib_per_call']):>6}"
            f" (late {_fmt(growth['late_half_slope_kib_per_call'])})  {growth['verdict']}"
        )
    lines.append(
        f"   slope over calls {memory['slope_from_call']}..{last} (late = its second half);"
        f" median call cycle {_fmt(memory['median_call_seconds'], ' s', 2)};"
        f" failed calls: {len(memory['failures'])}"
    )
    if memory["crash"]:
        lines.append(f"   !! {memory['crash']}")
    lines.extend(f"   ! {failure}" for failure in memory["failures"])
    return lines


def _exit_lines(exits: list[Result]) -> list[str]:
    """How the app exited each time it was stopped with SIGTERM (0 = clean)."""
    codes = ", ".join(str(e["code"]) for e in exits)
    lines = [f"5. App exit codes after SIGTERM (one per start): {codes}"]
    fatal = sorted({e["fatal"] for e in exits if e["fatal"]})
    lines.extend(f"   !! {line}" for line in fatal)
    return lines


def render(results: Result) -> str:
    reg = results["registration"]
    samples = ", ".join(f"{s:.2f}" for s in reg["samples_s"])
    lines = [
        f"Softphone call benchmark ({results['code']}): {results['cores']} cores, load average"
        f" {results['load_avg_start']:.2f} at start, {results['load_avg_end']:.2f} at end,"
        f" run time {results['run_seconds']:.0f} s",
        "",
        f"1. App start -> registered: median {reg['median_s']:.2f} s  (starts: {samples} s;"
        " the first on a fresh profile)",
        "",
        *_cpu_lines(results["cpu"]),
        "",
        *_delay_lines(results["delay"]),
        "",
        *_memory_lines(results["memory"]),
        "",
        *_exit_lines(results["app_exits"]),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- entry


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="20,100", help="RSS checkpoints, e.g. 20,100")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds connected per call")
    parser.add_argument("--cpu-seconds", type=float, default=25.0, help="steady call sampled")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle engine sampled")
    parser.add_argument("--starts", type=int, default=5, help="app starts timed (at least 3)")
    parser.add_argument("--bursts", type=int, default=15, help="tone bursts for the delay")
    parser.add_argument("--work-dir", type=Path, help="keep all logs here (default: temp)")
    return parser.parse_args(argv)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run_in_session(argv: Sequence[str]) -> int:
    """Run this command again inside a private keyring session; pass on SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="bench-keyring-") as tmp:
        pid_file = Path(tmp) / "inner.pid"
        env = session_env(Path(tmp), {PID_FILE: str(pid_file)})
        command = [sys.executable, "-m", "tests.benchmarks.calls", *argv]
        proc = subprocess.Popen(keyring_session_argv(command), env=env, cwd=REPO)

        def forward(signum: int, frame: FrameType | None) -> None:
            if pid_file.exists():
                os.kill(int(pid_file.read_text()), signal.SIGTERM)

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the inner run too
        signal.signal(signal.SIGTERM, forward)
        return proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if IN_SESSION not in os.environ:
        return run_in_session(argv)
    if PID_FILE in os.environ:
        Path(os.environ[PID_FILE]).write_text(str(os.getpid()))
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="softphone-bench-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        results = run(args, work_dir)
    except KeyboardInterrupt:
        log(f"interrupted; everything started was stopped; logs kept in {work_dir}")
        return 130
    except BaseException:
        log(f"benchmark failed; everything started was stopped; logs kept in {work_dir}")
        raise
    results["run_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(results, indent=2) if args.json else render(results))
    if args.work_dir is None:
        shutil.rmtree(work_dir, ignore_errors=True)
    else:
        (work_dir / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
