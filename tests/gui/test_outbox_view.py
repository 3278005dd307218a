"""The Orders tab: what was recorded for the CRM and whether it got there."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from softphone.crm.schema import CustomerLead
from softphone.gui.outbox_view import OutboxView
from tests.sync.helpers import order, secrets_with, sync_service


def test_orders_tab_shows_waiting_sent_and_refused_records(qtbot: QtBot, tmp_path: Path) -> None:
    with sync_service(tmp_path, "", secrets_with("token")) as service:
        first = service.queue_order(order("c1")).result(10)
        second = service.queue_order(order("c2")).result(10)
        service.queue_lead(CustomerLead(name="<b>Kovács</b> Ágnes")).result(10)
        service.cache.mark_sent(first.id, "17", "SO-000017", 1.0).result(10)
        service.cache.mark_needs_attention(second.id, "lines.0.sku: unknown product").result(10)

        view = OutboxView(service)
        qtbot.addWidget(view)
        view.refresh()
        view.refresh()  # asked again while reading: one more read, same rows
        qtbot.waitUntil(lambda: view.topLevelItemCount() == 3, timeout=5000)

        rows = [[view.topLevelItem(i).text(c) for c in range(4)] for i in range(3)]
        lead, refused, sent = rows  # newest first
        assert lead[1] == "New customer: <b>Kovács</b> Ágnes"  # shown as typed
        assert lead[3] == "Waiting to be sent"
        assert refused[2] == "c2"
        assert refused[3] == "⚠ Needs attention: lines.0.sku: unknown product"
        assert sent[1] == "Order, 1 line(s)"
        assert sent[3] == "Sent · SO-000017"


def test_an_order_the_crm_took_without_a_readable_answer_says_it_has_no_number(
        qtbot: QtBot, tmp_path: Path) -> None:
    with sync_service(tmp_path, "", secrets_with("token")) as service:
        item = service.queue_order(order("c1")).result(10)
        service.cache.mark_sent(item.id, None, None, 1.0,
                                message="The CRM accepted it, but its answer could not be "
                                        "read (no number)").result(10)
        view = OutboxView(service)
        qtbot.addWidget(view)
        view.refresh()
        qtbot.waitUntil(lambda: view.topLevelItemCount() == 1, timeout=5000)
        assert view.topLevelItem(0).text(3) == "Sent · the CRM gave no order number"
