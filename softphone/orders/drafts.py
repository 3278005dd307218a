"""Where drafts are kept between autosaves, so that a crash or restart loses no order.

:class:`DraftStore` is what the order form needs; the real store lives in the encrypted
cache and runs on the cache's worker thread. :class:`InMemoryDraftStore` is for tests.
Imports no Qt.

Public names: :class:`DraftStore`, :class:`CacheDraftStore`, :class:`InMemoryDraftStore`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from softphone.orders.draft import DraftFormatError, OrderDraft

if TYPE_CHECKING:
    from softphone.sync.service import SyncService

log = logging.getLogger(__name__)
#: How long opening the order form may wait for the saved drafts.
LOAD_TIMEOUT_SECONDS = 5.0


class DraftStore(Protocol):
    """Saved drafts by ``draft_id``; a save replaces the earlier copy of the same draft."""

    def save(self, draft: OrderDraft) -> None:
        """Keep a copy of ``draft`` as it is now."""

    def load_all(self) -> list[OrderDraft]:
        """Every saved draft, oldest first (by ``created_at``)."""

    def delete(self, draft_id: str) -> None:
        """Forget the draft (submitted or abandoned); unknown ids are ignored."""


class CacheDraftStore:
    """Drafts in the encrypted cache. Methods: any thread.

    ``save`` and ``delete`` hand the work to the cache's worker and return at once (an
    autosave must never make the agent wait); a failure is logged. ``load_all`` waits
    for the worker, briefly: it runs when the form opens.
    """

    def __init__(self, sync: SyncService) -> None:
        self._sync = sync

    def save(self, draft: OrderDraft) -> None:
        future = self._sync.save_draft(draft.draft_id, draft.customer_id, draft.to_json())
        future.add_done_callback(_log_failure("save the order draft"))

    def load_all(self) -> list[OrderDraft]:
        drafts = []
        for saved in self._sync.load_drafts().result(LOAD_TIMEOUT_SECONDS):
            try:
                drafts.append(OrderDraft.from_json(saved.data))
            except DraftFormatError as exc:
                log.error("A saved order draft cannot be read (%s); it is kept", exc)
        return sorted(drafts, key=lambda draft: draft.created_at)

    def delete(self, draft_id: str) -> None:
        self._sync.delete_draft(draft_id).add_done_callback(
            _log_failure("forget the order draft"))


def _log_failure(action: str) -> Callable[[Future[None]], None]:
    def check(future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("Could not %s", action, exc_info=exc)

    return check


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
