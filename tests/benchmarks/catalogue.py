"""Catalogue search timing: ``python -m tests.benchmarks.catalogue [--products N]``.

Builds a catalogue of N made-up products named in several scripts (Latin with accents,
Greek, Persian, Vietnamese), then times searches an agent would type, from one letter to
a full SKU, and prints the build time and the median, 99th percentile and worst time
per search.
Runs on the main thread; imports no Qt.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from softphone.crm import schema
from softphone.orders.catalogue import Catalogue

_WORDS = ["Café", "crème", "thé", "Earl", "Grey", "jasmine", "Ceai", "negru", "Kávé",
          "őrölt", "καφές", "ελληνικός", "τσάι", "βουνού", "قهوه", "چای", "سبز", "زعفران",
          "Cà", "phê", "sữa", "đá", "Trà", "xanh", "Bánh", "mì", "honey", "biscuits"]
_QUERIES = ["c", "ca", "cafe", "cafe creme", "the", "kave", "καφε", "τσαι βουνου", "قهوه",
            "چای سبز", "ca phe", "tra", "dao", "SKU-0", "SKU-00042", "sku-09999", "zzz", "e"]


def made_up_catalogue(count: int, seed: int = 7) -> list[schema.Product]:
    """``count`` products with two to four words from several languages in each name."""
    pick = random.Random(seed)
    now = datetime.now(UTC)
    return [schema.Product(sku=f"SKU-{index:05d}",
                           name=" ".join(pick.sample(_WORDS, pick.randint(2, 4))),
                           prices={"retail": Decimal(pick.randint(100, 99_999)) / 100},
                           updated_at=now)
            for index in range(count)]


def main() -> None:
    """Print the figures; main thread."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    products = made_up_catalogue(args.products)
    started = time.perf_counter()
    catalogue = Catalogue(products)
    built = time.perf_counter() - started
    per_query: dict[str, list[float]] = {query: [] for query in _QUERIES}
    for _ in range(args.rounds):
        for query in _QUERIES:
            started = time.perf_counter()
            catalogue.search(query)
            per_query[query].append(time.perf_counter() - started)
    timings = [took for took_each in per_query.values() for took in took_each]
    p99 = statistics.quantiles(timings, n=100)[98]
    print(f"{len(catalogue)} products indexed in {built * 1000:.1f} ms")
    print(f"{len(timings)} searches: median {statistics.median(timings) * 1000:.3f} ms, "
          f"99th percentile {p99 * 1000:.3f} ms, worst {max(timings) * 1000:.3f} ms")
    for query, took_each in per_query.items():
        print(f"  {query!r:>16}: {len(catalogue.search(query)):3d} shown, median "
              f"{statistics.median(took_each) * 1000:.3f} ms, worst {max(took_each) * 1000:.3f} ms")

if __name__ == "__main__":
    main()
