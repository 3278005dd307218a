"""Where drafts are kept between autosaves, so that a crash or restart loses no order.

:class:`DraftStore` is what the order form needs; the real store lives in the encrypted
cache and runs on the cache's worker thread. :class:`InMemoryDraftStore` is for tests.
Imports no Qt.

Public names: :class:`DraftStore`, :class:`InMemoryDraftStore`.
"""

from __future__ import annotations

from typing import Protocol

from softphone.orders.draft import OrderDraft


class DraftStore(Protocol):
    """Saved drafts by ``draft_id``; a save replaces the earlier copy of the same draft."""

    def save(self, draft: OrderDraft) -> None:
        """Keep a copy of ``draft`` as it is now."""

    def load_all(self) -> list[OrderDraft]:
        """Every saved draft, oldest first (by ``created_at``)."""

    def delete(self, draft_id: str) -> None:
        """Forget the draft (submitted or abandoned); unknown ids are ignored."""


class InMemoryDraftStore:
    """A :class:`DraftStore` in memory, for tests. Not thread-safe: one thread only.

    It keeps each draft as its JSON text, so a test sees exactly what a restart would.
    """

    def __init__(self) -> None:
        self._saved: dict[str, str] = {}

    def save(self, draft: OrderDraft) -> None:
        self._saved[draft.draft_id] = draft.to_json()

    def load_all(self) -> list[OrderDraft]:
        drafts = [OrderDraft.from_json(text) for text in self._saved.values()]
        return sorted(drafts, key=lambda draft: draft.created_at)

    def delete(self, draft_id: str) -> None:
        self._saved.pop(draft_id, None)
