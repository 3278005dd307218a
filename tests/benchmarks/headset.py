"""Headset benchmark: from a hook-switch report reaching the transport to ``phone.answer``.

    python -m tests.benchmarks.headset [--presses 2000] [--json]

Runs the real ``HeadsetService`` (its watcher and reader threads, the descriptor parser,
the call-control decisions and the light writes) over a fake headset whose transport
hands each queued input report to the reader as a real one would (no virtual HID device
exists here). For each press a call rings, the headset reports its hook off, and the
time until the stand-in phone's ``answer`` is called is taken; then the call ends and the
hook goes back on. Aim: far under the 100 ms an agent could notice.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import quantiles
from typing import Any

from softphone.headset.service import HeadsetService
from softphone.settings import Settings
from tests.headset import descriptors
from tests.headset.fakes import FakeBackend, RecordingPhone, wait_until

Result = dict[str, Any]
WARM_UP = 100  # presses not counted: first calls warm caches as a running app has


class TimedPhone(RecordingPhone):
    """Notes when ``answer`` is called, and wakes the benchmark."""

    def __init__(self) -> None:
        super().__init__()
        self.answer_called = threading.Event()

    def answer(self, call_id: str | None = None) -> str | None:
        result = super().answer(call_id)
        self.answer_called.set()
        return result


def run(work: Path, presses: int) -> Result:
    layout = descriptors.ONE_LIGHT_REPORT
    phone = TimedPhone()
    backend = FakeBackend()
    backend.plug("/dev/hidraw0", "Benchmark Headset", layout.descriptor)
    service = HeadsetService(phone, Settings(work / "settings.toml"), backend=backend)
    service.start()
    try:
        wait_until(lambda: service.status()["buttons"], "the headset to open")
        headset = backend.last()
        spans: list[float] = []
        for index in range(presses + WARM_UP):
            call_id = f"call-{index}"
            phone.ring(call_id)
            phone.answer_called.clear()
            started = time.perf_counter()
            headset.send(layout.report(hook=True))
            if not phone.answer_called.wait(timeout=10):
                raise RuntimeError(f"press {index} was not answered")
            if index >= WARM_UP:
                spans.append(phone.answered_at[-1] - started)
            phone.end(call_id)
            sent = headset.send(layout.report(hook=False))
            wait_until(lambda sent=sent: headset.processed() >= sent, "hook back on")
        cuts = quantiles(spans, n=100)
        return {"presses": presses, "p50_ms": round(cuts[49] * 1000, 3),
                "p99_ms": round(cuts[98] * 1000, 3), "max_ms": round(max(spans) * 1000, 3)}
    finally:
        service.stop()


def render(result: Result) -> str:
    return (f"Headset hook switch to phone.answer ({result['presses']:,} presses): "
            f"p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms, "
            f"max {result['max_ms']:.3f} ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="headset-bench-") as tmp:
        result = run(Path(tmp), args.presses)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
