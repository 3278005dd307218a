"""Exponential backoff with jitter for retrying the CRM. Imports no Qt."""

from __future__ import annotations

import random


class Backoff:
    """Delays of about 2, 4, 8 ... seconds up to ``cap``, each shortened by a random part
    so that many desks coming back online do not retry in step. One thread at a time."""

    def __init__(self, first: float = 2.0, cap: float = 300.0) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        """Count a failure and return how long to wait before the next try."""
        ceiling = min(self.cap, self.first * 2.0 ** self.failures)
        self.failures += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (timing, not security)

    def reset(self) -> None:
        self.failures = 0
