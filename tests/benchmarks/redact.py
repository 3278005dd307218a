"""Support-bundle redaction benchmark: a busy agent's known words over a full set of logs.

    python -m tests.benchmarks.redact [--words 4000] [--megabytes 30] [--json]

The support bundle removes every known customer word (names and numbers from the call
history, the cache and the outbox) from up to six 5 MB log files per log. This times
``Redactor`` over ``--megabytes`` of log lines shaped like the app's, with half of the
words names and half phone numbers, some of them present in the text (with separators).
Aim: the whole bundle in seconds, so the agent is not left waiting.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time

from softphone.redact import CUSTOMER, Redactor

LINES = (
    "2026-11-24 10:00:00,123 INFO MainThread softphone.engine.loop: call in-{n} confirmed\n",
    "2026-11-24 10:00:01,456 DEBUG MainThread pjsip: pjsua_core.c TX 512 bytes Request msg\n",
    "2026-11-24 10:00:02,789 INFO SyncThread softphone.sync.runner: page of 200 changes\n",
)


def known_words(count: int, rng: random.Random) -> list[str]:
    def name() -> str:
        return "".join(rng.choice(string.ascii_lowercase)
                       for _ in range(rng.randint(4, 9))).capitalize()

    half = count // 2
    return ([f"{name()} {name()}" for _ in range(half)]
            + [f"07{rng.randint(10**7, 10**8 - 1)}" for _ in range(count - half)])


def log_text(megabytes: float, words: list[str], rng: random.Random) -> str:
    """App-like lines; one in fifty names a known customer or number (with spaces)."""
    parts: list[str] = []
    size = 0
    n = 0
    while size < megabytes * 1e6:
        n += 1
        if n % 50 == 0:
            word = rng.choice(words)
            spaced = f"{word[:4]} {word[4:7]} {word[7:]}" if word.isdigit() else word
            line = f"2026-11-24 10:00:03,000 INFO MainThread app: lookup {spaced} done\n"
        else:
            line = LINES[n % len(LINES)].format(n=n)
        parts.append(line)
        size += len(line)
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=4000)
    parser.add_argument("--megabytes", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(1)
    words = known_words(args.words, rng)
    text = log_text(args.megabytes, words, rng)
    started = time.perf_counter()
    redactor = Redactor.build(["a-secret-password"], words)
    _ = redactor.known_words
    built = time.perf_counter() - started
    started = time.perf_counter()
    out = redactor(text)
    spent = time.perf_counter() - started
    result = {
        "words": args.words, "megabytes": round(len(text) / 1e6, 1),
        "build_seconds": round(built, 3), "redact_seconds": round(spent, 2),
        "megabytes_per_second": round(len(text) / 1e6 / spent, 1),
        "customer_placeholders": out.count(CUSTOMER),
        "words_left": sum(1 for word in words if word in out),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
