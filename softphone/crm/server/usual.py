"""The products usual for each customer type: what its customers ordered most lately.

For each type, the SKUs held by the most orders of customers of that type (their type as
it is now) over the last ``WINDOW_DAYS`` days; cancelled orders do not count, and an
order naming a SKU on several lines counts once. Ties go to the SKU first in code-point
order. At most ``PER_TYPE`` SKUs per type.

``compute`` asks the database; ``UsualAnswers`` keeps the last answer for every request
thread, so a floor of desks syncing at once costs one query, not one each. Called on the
server's request worker threads. Imports no Qt.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from softphone.crm import schema
from softphone.crm.server.database import Database
from softphone.crm.server.models import ChangeCounter, CustomerRow, OrderLineRow, OrderRow

WINDOW_DAYS = 90
PER_TYPE = 20
# An answer is computed again once an order or a customer changed, or when it is this old
# (the window moves on, and an order's status may be changed in the database directly).
MAX_AGE_SECONDS = 300.0
_TYPES = [kind.value for kind in schema.CustomerType]
_CANCELLED = schema.OrderStatus.CANCELLED.value


def compute(session: Session, now: datetime, window_days: int = WINDOW_DAYS,
            per_type: int = PER_TYPE) -> schema.UsualForType:
    """The usual SKUs of every type, most ordered first, as of ``now``. One query.

    The orders are found by ``ix_orders_created_at`` and their SKUs read from
    ``ix_order_lines_order_sku`` alone, so the cost follows the orders in the window, not
    the whole history.
    """
    since = now - timedelta(days=window_days)
    held = (select(CustomerRow.type.label("type"), OrderLineRow.sku.label("sku"),
                   OrderRow.id.label("order_id"))
            .select_from(OrderRow)
            .join(CustomerRow, CustomerRow.id == OrderRow.customer_id)
            .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
            .where(OrderRow.created_at >= since, OrderRow.status != _CANCELLED,
                   CustomerRow.type.in_(_TYPES))
            .distinct()
            .subquery())
    counted = (select(held.c.type, held.c.sku, func.count().label("orders"))
               .group_by(held.c.type, held.c.sku)
               .subquery())
    # Code-point order whatever the database's own collation.
    code_points = "C" if session.get_bind().dialect.name == "postgresql" else "BINARY"
    rank = func.row_number().over(partition_by=counted.c.type,
                                  order_by=(counted.c.orders.desc(),
                                            counted.c.sku.collate(code_points)))
    ranked = select(counted.c.type, counted.c.sku, rank.label("rank")).subquery()
    rows = session.execute(select(ranked.c.type, ranked.c.sku)
                           .where(ranked.c.rank <= per_type)
                           .order_by(ranked.c.type, ranked.c.rank))
    skus: dict[schema.CustomerType, list[str]] = {kind: [] for kind in schema.CustomerType}
    for kind, sku in rows:
        skus[schema.CustomerType(kind)].append(sku)
    return schema.UsualForType(window_days=window_days, skus=skus)


def fingerprint(session: Session) -> tuple[int, int]:
    """What moves whenever an order is taken or a customer changes (its type with it):
    the newest order's id and the change feed's counter. Two index lookups."""
    newest_order = session.scalar(select(func.max(OrderRow.id))) or 0
    changes = session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1)) or 0
    return newest_order, changes


@dataclass(frozen=True)
class Answer:
    """The JSON of a ``UsualForType`` document and its ETag (a digest of that JSON)."""

    body: bytes
    etag: str
    fingerprint: tuple[int, int]
    computed_at: float  # on the monotonic clock


class UsualAnswers:
    """The last answer, shared by the request threads; safe to call from any of them."""

    def __init__(self, max_age: float = MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.max_age = max_age
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._answer: Answer | None = None

    def current(self, db: Database) -> Answer:
        """Request worker thread: the answer, computed again when stale.

        One thread computes at a time; the others wait for it and share what it found.
        The fingerprint and the answer are read in one transaction (one snapshot on
        PostgreSQL), so an answer never carries a newer fingerprint than its data.
        """
        with self._lock, db.read() as session:
            mark = fingerprint(session)
            answer = self._answer
            if (answer is None or answer.fingerprint != mark
                    or self._clock() - answer.computed_at > self.max_age):
                body = compute(session, self._now()).model_dump_json().encode()
                digest = hashlib.sha256(body).hexdigest()[:32]
                answer = Answer(body, f'"usual-{digest}"', mark, self._clock())
                self._answer = answer
            return answer
