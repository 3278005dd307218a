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
    from softphone.cache.store import Draft
    from softphone.sync.service import SyncService

log = logging.getLogger(__name__)

class DraftStore(Protocol):
    """Saved drafts by ``draft_id``; a save replaces the earlier copy of the same draft."""

    def save(self, draft: OrderDraft) -> None:
        """Keep a copy of ``draft`` as it is now."""

    def load_all(self) -> Future[list[OrderDraft]]:
        """Every saved draft, oldest first (by ``created_at``); the future may complete
        on another thread."""

    def delete(self, draft_id: str) -> None:
        """Forget the draft (submitted or abandoned); unknown ids are ignored."""


class CacheDraftStore:
    """Drafts in the encrypted cache. Methods: any thread.

    Every method hands the work to the cache's worker and returns at once (an autosave
    must never make the agent wait); a failed save or delete is logged. ``load_all``'s
    future completes on the worker thread.
    """

    def __init__(self, sync: SyncService) -> None:
        self._sync = sync

    def save(self, draft: OrderDraft) -> None:
        future = self._sync.save_draft(draft.draft_id, draft.customer_id, draft.to_json())
        future.add_done_callback(_log_failure("save the order draft"))

    def load_all(self) -> Future[list[OrderDraft]]:
        loaded: Future[list[OrderDraft]] = Future()

        def parse(future: Future[list[Draft]]) -> None:
            """Cache worker thread."""
            try:
                loaded.set_result(_readable([saved.data for saved in future.result()]))
            except BaseException as exc:  # the form logs it; the order goes on
                loaded.set_exception(exc)

        self._sync.load_drafts().add_done_callback(parse)
        return loaded

    def delete(self, draft_id: str) -> None:
        self._sync.delete_draft(draft_id).add_done_callback(
            _log_failure("forget the order draft"))


def _readable(texts: list[str]) -> list[OrderDraft]:
    """The drafts that parse, oldest first; one that does not is logged and kept."""
    drafts = []
    for text in texts:
        try:
            drafts.append(OrderDraft.from_json(text))
        except DraftFormatError as exc:
            log.error("A saved order draft cannot be read (%s); it is kept", exc)
    return sorted(drafts, key=lambda draft: draft.created_at)


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

    def load_all(self) -> Future[list[OrderDraft]]:
        loaded: Future[list[OrderDraft]] = Future()
        loaded.set_result(_readable(list(self._saved.values())))
        return loaded

    def delete(self, draft_id: str) -> None:
        self._saved.pop(draft_id, None)
