"""Sync benchmark against the real reference CRM server (a command, not a pytest test).

    python -m tests.benchmarks.sync [--customers 100000] [--products 10000]
                                    [--lookup-customers 1000000] [--json]

Starts its own CRM server on SQLite, imports the data with ``softphone crm import`` and
measures, with the app's own client, runner and encrypted cache (in this process):

1. the initial sync of all customers (pages of 1,000) and products, and the peak RSS of
   this process while it runs;
2. an incremental sync of 1,000 changed customers;
3. phone lookups (p50/p99 over 10,000 random numbers) in a cache filled directly with
   ``--lookup-customers`` customers, through the cache's worker thread as the app does.

The cache key is held in memory (no keyring needed). Every process started is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from statistics import quantiles
from typing import Any

from sqlalchemy.orm import Session

from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore, find_in_session
from softphone.crm.client import CrmClient
from softphone.crm.schema import Change, Customer, CustomerType
from softphone.sync.runner import SyncOptions, SyncRunner
from tests.benchmarks.procstat import rss_kib
from tests.peers.crm_server import CrmServer

Result = dict[str, Any]
NOW = "2026-11-01T09:00:00+00:00"
ZERO = Decimal(0)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _customer(n: int, name: str = "Customer") -> dict[str, Any]:
    return {"id": f"c{n}", "name": f"{name} {n}", "company": f"Company {n % 997}",
            "type": "retail", "region": "north", "phones": [f"+4072{n:07d}"],
            "email": f"c{n}@example.com", "delivery_address": f"Street {n}, Cluj",
            "updated_at": NOW}


def _product(n: int) -> dict[str, Any]:
    return {"sku": f"SKU-{n}", "name": f"Product {n}", "stock": n % 50, "updated_at": NOW,
            "prices": {"retail": "10.00", "wholesale": "8.00"}}


class PeakRss:
    """Samples this process's RSS every 20 ms on a thread of its own."""

    def __init__(self) -> None:
        self.peak = rss_kib(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_kib(os.getpid()))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sync_phase(work: Path, customers: int, products: int) -> Result:
    crm = CrmServer(work / "crm")
    try:
        log(f"importing {customers:,} customers and {products:,} products")
        started = time.monotonic()
        crm.import_data({"customers": [_customer(n) for n in range(customers)],
                         "products": [_product(n) for n in range(products)]})
        import_seconds = time.monotonic() - started
        crm.start()
        cache = CacheStore(work / "cache.sqlite3", CacheKey(new_key_hex()))
        cache.ready()
        client = CrmClient(crm.url, crm.token, timeout=60)
        runner = SyncRunner(client, cache, SyncOptions())
        rss_before = rss_kib(os.getpid())
        log("initial sync")
        with PeakRss() as peak:
            started = time.monotonic()
            initial = runner.run_once()
            initial_seconds = time.monotonic() - started
        log(f"initial sync: {initial_seconds:.1f} s")
        crm.import_data({"customers": [_customer(n, "Changed") for n in range(0, customers,
                                                                               customers // 1000)]})
        started = time.monotonic()
        incremental = runner.run_once()
        incremental_seconds = time.monotonic() - started
        log(f"incremental sync of {incremental.customers_changed} changes: "
            f"{incremental_seconds * 1000:.0f} ms")
        client.close()
        cache.close()
        return {
            "customers": customers, "products": products,
            "import_seconds": round(import_seconds, 1),
            "initial_seconds": round(initial_seconds, 2),
            "initial_customers_per_second": round(initial.customers_changed / initial_seconds),
            "initial_products": initial.products,
            "incremental_changes": incremental.customers_changed,
            "incremental_seconds": round(incremental_seconds, 3),
            "rss_before_kib": rss_before, "rss_peak_kib": peak.peak,
            "cache_file_mib": round((work / "cache.sqlite3").stat().st_size / 2**20, 1),
        }
    finally:
        crm.stop()


def fill_cache(cache: CacheStore, count: int) -> None:
    """Fill ``cache`` with ``count`` customers directly, in pages as the sync writes them."""
    updated = datetime.fromisoformat(NOW)
    batch = 5000
    for start in range(0, count, batch):
        changes = [
            Change.model_construct(id=f"c{n}", deleted=False, customer=Customer.model_construct(
                id=f"c{n}", name=f"Customer {n}", company="", phones=[f"+4072{n:07d}"],
                email="", type=CustomerType.RETAIL, manager=None, balance=ZERO, overdue_debt=ZERO,
                overpayment=ZERO, credit_limit=ZERO, region="north", payment_terms="",
                delivery_address="", notes="", updated_at=updated))
            for n in range(start, min(count, start + batch))
        ]
        cache.apply_page(changes, str(start + batch), False, frozenset(), time.time()).result()


def lookup_phase(work: Path, count: int, lookups: int = 10_000) -> Result:
    cache = CacheStore(work / "lookup.sqlite3", CacheKey(new_key_hex()))
    try:
        cache.ready()
        log(f"filling a cache with {count:,} customers")
        started = time.monotonic()
        fill_cache(cache, count)
        fill_seconds = time.monotonic() - started
        rng = random.Random(7)
        numbers = [f"+4072{rng.randrange(count):07d}" for _ in range(lookups)]
        for number in numbers[:500]:  # warm up as an app that has been running would be
            cache.find(number).result()
        times = []
        for number in numbers:
            started = time.perf_counter()
            found = cache.find(number).result()
            times.append(time.perf_counter() - started)
            assert len(found) == 1
        cuts = quantiles(times, n=100)

        def on_worker(session: Session) -> list[float]:
            spans = []
            for number in numbers:
                started = time.perf_counter()
                find_in_session(session, number)
                spans.append(time.perf_counter() - started)
            return spans

        # The same lookups timed on the worker thread itself: the query and parsing alone,
        # without the two thread wake-ups (which a loaded machine delays).
        inner = quantiles(cache.submit(on_worker).result(), n=100)
        return {"customers": count, "fill_seconds": round(fill_seconds, 1),
                "worker_p50_ms": round(inner[49] * 1000, 3),
                "worker_p99_ms": round(inner[98] * 1000, 3),
                "lookups": lookups, "p50_ms": round(cuts[49] * 1000, 3),
                "p99_ms": round(cuts[98] * 1000, 3), "max_ms": round(max(times) * 1000, 3),
                "cache_file_mib": round((work / "lookup.sqlite3").stat().st_size / 2**20, 1)}
    finally:
        cache.close()


def render(results: Result) -> str:
    s, lk = results["sync"], results["lookup"]
    return "\n".join([
        f"Initial sync: {s['customers']:,} customers + {s['initial_products']:,} products in "
        f"{s['initial_seconds']:.1f} s ({s['initial_customers_per_second']:,} customers/s)",
        f"Incremental sync: {s['incremental_changes']:,} changes in "
        f"{s['incremental_seconds'] * 1000:.0f} ms (target < 1000 ms)",
        f"Peak RSS during sync: {s['rss_peak_kib'] / 1024:.0f} MiB "
        f"(before: {s['rss_before_kib'] / 1024:.0f} MiB); cache file {s['cache_file_mib']} MiB",
        f"Lookup with {lk['customers']:,} customers cached: p50 {lk['p50_ms']:.3f} ms, "
        f"p99 {lk['p99_ms']:.3f} ms, max {lk['max_ms']:.3f} ms (target p99 < 2 ms); on the "
        f"worker thread alone p50 {lk['worker_p50_ms']:.3f} ms, p99 {lk['worker_p99_ms']:.3f} ms",
        f"Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--lookup-customers", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        work = Path(tmp)
        results = {"sync": sync_phase(work, args.customers, args.products),
                   "lookup": lookup_phase(work, args.lookup_customers)}
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
