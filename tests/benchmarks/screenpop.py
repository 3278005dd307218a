"""Screen-pop benchmark: from a call reaching the app to the cache's answer delivered.

    python -m tests.benchmarks.screenpop [--customers 1000000] [--calls 2000] [--json]

Fills an encrypted cache with ``--customers`` customers (as the sync writes them), then
for each call times ``ScreenPopService.on_incoming`` (number normalised from its national
form, cache lookup on the cache's worker thread) until a listener receives the result,
the moment the app would hand it to the GUI thread. No CRM is configured, so nothing but
the cache is timed. Aim: far under the 100 ms the card may take.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from statistics import quantiles
from typing import Any

from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore
from softphone.paths import Profile
from softphone.screenpop import ScreenPopResult, ScreenPopService
from softphone.secrets import SecretStore
from softphone.settings import Settings
from softphone.sync.service import SyncService
from tests.benchmarks.sync import fill_cache, log

Result = dict[str, Any]


def run(work: Path, customers: int, calls: int) -> Result:
    profile = Profile.from_dir(work / "profile")
    profile.create()
    settings = Settings(profile.settings_file)
    settings.set("calls.default_region", "RO")
    cache = CacheStore(work / "cache.sqlite3", CacheKey(new_key_hex()))
    sync = SyncService(profile, settings, SecretStore(f"softphone-bench-{uuid.uuid4().hex[:8]}"),
                       cache=cache)
    pop = ScreenPopService(sync, settings)
    delivered: queue.SimpleQueue[tuple[str, float, int]] = queue.SimpleQueue()

    def listener(result: ScreenPopResult) -> None:
        delivered.put((result.call_id, time.perf_counter(), len(result.matches)))

    pop.add_listener(listener)
    try:
        cache.ready()
        log(f"filling a cache with {customers:,} customers")
        started = time.monotonic()
        fill_cache(cache, customers)
        fill_seconds = time.monotonic() - started
        rng = random.Random(11)
        # National form, as a PBX often sends it: normalising is part of the path.
        numbers = [f"072{rng.randrange(customers):07d}" for _ in range(calls + 200)]
        spans: list[float] = []
        for index, number in enumerate(numbers):
            call_id = f"call-{index}"
            started_at = time.perf_counter()
            pop.on_incoming(call_id, number, "")
            got_id, at, matches = delivered.get(timeout=10)
            assert (got_id, matches) == (call_id, 1), (got_id, matches)
            if index >= 200:  # the first ones warm the page cache, as a running app has
                spans.append(at - started_at)
        cuts = quantiles(spans, n=100)
        return {"customers": customers, "fill_seconds": round(fill_seconds, 1),
                "calls": calls, "p50_ms": round(cuts[49] * 1000, 3),
                "p99_ms": round(cuts[98] * 1000, 3), "max_ms": round(max(spans) * 1000, 3)}
    finally:
        pop.close()
        sync.stop()
        cache.close()


def render(result: Result) -> str:
    return (f"Screen-pop from the cache with {result['customers']:,} customers cached "
            f"({result['calls']:,} calls): p50 {result['p50_ms']:.3f} ms, "
            f"p99 {result['p99_ms']:.3f} ms, max {result['max_ms']:.3f} ms "
            f"(from on_incoming to the result delivered; the card may take 100 ms)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="screenpop-bench-") as tmp:
        result = run(Path(tmp), args.customers, args.calls)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
