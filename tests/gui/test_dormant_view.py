"""The Outbound tab: dormant customers to call, keyboard-first, with today's outcomes.

A real ``SyncService`` over the harness's real encrypted cache (the same file as the call
history, as in the app); calls go through the main window's real ``CallActions`` to the
real, unstarted phone, whose commands the harness records. The last test runs the
reference CRM server as a process: an order sent for a customer takes them off the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.agent import WrapUp, call_log
from softphone.crm.schema import Change, Customer
from softphone.gui.bridge import PhoneBridge
from softphone.gui.dormant_view import LAST_ORDER, NAME, PHONE, REGION, TODAY, TYPE, DormantView
from softphone.gui.main_window import MainWindow
from softphone.paths import Profile
from softphone.secrets import SecretStore
from softphone.sync.service import SyncService
from tests.gui.harness import FakeClock, PhoneHarness
from tests.peers.crm_server import CrmServer
from tests.sync.helpers import NOW, order, product, secrets_with

RTL_NAME = "مریم احمدی"
LONG_COMPANY = ("Công ty TNHH Thương mại và Dịch vụ Xuất Nhập khẩu Hoàng Long Phát "
                "chi nhánh Thành phố Hồ Chí Minh")


def ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def customer_data(n: int, name: str, days_quiet: int | None, **fields: Any) -> dict[str, Any]:
    return {"id": f"c{n}", "name": name, "type": "retail", "region": "North",
            "phones": [f"+4072100{n:04d}"], "updated_at": NOW,
            "last_order_at": None if days_quiet is None else ago(days_quiet), **fields}


CUSTOMERS = [
    customer_data(1, "Nguyễn Thị Mai", 215, company="Mai Tea", type="key"),
    customer_data(2, "<b>Kovács</b> Ágnes", None, company="Ágnes & Co"),
    customer_data(3, RTL_NAME, 400, company=LONG_COMPANY, region="Tehran"),
    customer_data(4, "Ioana Popescu", 20),  # ordered this month: not dormant
    customer_data(5, "Nikos Papadopoulos", None, type="new"),  # waits for a manager
    customer_data(6, "Elena Ionescu", 300, phones=[]),
]


def visible(text: str) -> str:
    """Text as read on screen: without the invisible bidi isolate marks."""
    return text.replace("\u2068", "").replace("\u2069", "")


def rows(view: DormantView) -> list[str]:
    """The customers' names (each row's first line), top to bottom."""
    return [item.text(NAME).split("\n")[0] for item in view.visible_items()]


def row_of(view: DormantView, customer_id: str) -> QTreeWidgetItem:
    for item in view.visible_items():
        if item.data(NAME, Qt.ItemDataRole.UserRole).id == customer_id:
            return item
    raise AssertionError(f"{customer_id} is not listed")


def store(sync: SyncService, *data: dict[str, Any]) -> None:
    changes = [Change(id=d["id"], customer=Customer.model_validate(d)) for d in data]
    sync.cache.apply_page(changes, "1", False, frozenset(), datetime.now(UTC).timestamp()
                          ).result(10)


def dials(harness: PhoneHarness) -> list[str]:
    return [command.target for command in harness.commands(protocol.Dial)]  # type: ignore[attr-defined]


@pytest.fixture
def sync(harness: PhoneHarness) -> Iterator[SyncService]:
    """The app's sync service on the harness's cache, with no CRM address: it counts the
    outbox and tells its listeners, as in an office where the CRM is not set up yet."""
    harness.settings.set("calls.default_region", "RO")
    service = SyncService(Profile.from_dir(harness.root), harness.settings,
                          SecretStore(service=f"softphone-test-{uuid.uuid4().hex[:8]}"),
                          harness.database)
    harness.context.sync = service
    store(service, *CUSTOMERS)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def main(qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, clock: FakeClock,
         sync: SyncService) -> MainWindow:
    window = MainWindow(harness.context, bridge, clock=clock)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_outbound(qtbot: QtBot, window: MainWindow, count: int) -> DormantView:
    view = window.dormant
    assert view is not None
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: len(rows(view)) == count and not view.loading, timeout=5000)
    return view


def show_again(qtbot: QtBot, window: MainWindow, view: DormantView) -> None:
    """Back to the Outbound tab after a call; it reads the list again on show."""
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: not view.loading)


def test_outbound_tab_lists_dormant_customers_longest_quiet_first(
        qtbot: QtBot, main: MainWindow) -> None:
    index = main.tabs.indexOf(main.dormant)
    assert main.tabs.tabText(index) == "Ou&tbound"
    width = main.width()
    view = open_outbound(qtbot, main, 4)

    assert rows(view) == ["<b>Kovács</b> Ágnes", RTL_NAME, "Elena Ionescu", "Nguyễn Thị Mai"]
    kovacs, persian, elena, mai = view.visible_items()
    assert kovacs.text(NAME) == "<b>Kovács</b> Ágnes\nÁgnes & Co"  # markup as typed
    assert kovacs.text(LAST_ORDER) == "Never ordered"
    # Elided on screen, whole in the tooltip.
    assert persian.text(NAME) == f"{RTL_NAME}\n{LONG_COMPANY}"
    assert persian.text(LAST_ORDER).startswith("13 months ago\n")
    assert persian.text(REGION) == "Tehran"
    assert mai.text(LAST_ORDER) == "7 months ago\n" + (
        (datetime.now(UTC) - timedelta(days=215)).astimezone().date().isoformat())
    assert mai.text(TYPE) == "Key account"
    assert elena.text(NAME) == "Elena Ionescu\nNorth"  # no company: the region
    assert mai.text(PHONE) == "+40721000001"
    assert elena.text(PHONE) == "no number"
    assert [item.text(TODAY) for item in view.visible_items()] == ["", "", "", ""]
    assert view.summary.text() == "4 customers with no order for 6 months"
    assert main.width() == width  # long and right-to-left names do not widen the window

    # Sortable: by name, then back to the longest quiet first.
    view.list.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    assert rows(view)[0] == "<b>Kovács</b> Ágnes"
    assert rows(view)[-1] == RTL_NAME
    view.list.sortByColumn(LAST_ORDER, Qt.SortOrder.DescendingOrder)
    assert rows(view) == ["Nguyễn Thị Mai", "Elena Ionescu", RTL_NAME, "<b>Kovács</b> Ágnes"]


def test_filter_by_name_company_or_phone_and_return_dials_the_first_number(
        qtbot: QtBot, harness: PhoneHarness, main: MainWindow) -> None:
    view = open_outbound(qtbot, main, 4)
    view.filter.setFocus()
    qtbot.keyClicks(view.filter, "kovacs")  # no accents, no case
    assert rows(view) == ["<b>Kovács</b> Ágnes"]
    assert view.summary.text() == "4 customers with no order for 6 months · 1 shown"
    view.filter.clear()
    qtbot.keyClicks(view.filter, "mai tea")
    assert rows(view) == ["Nguyễn Thị Mai"]
    view.filter.clear()
    qtbot.keyClicks(view.filter, "0721 000 003")  # the number written nationally
    assert rows(view) == [RTL_NAME]
    qtbot.keyClick(view.filter, Qt.Key.Key_Return)
    assert dials(harness) == ["+40721000003"]
    assert main.tabs.currentIndex() == 0  # the call shows on the Calls tab

    show_again(qtbot, main, view)
    view.filter.clear()
    qtbot.keyClicks(view.filter, "nobody here")
    assert rows(view) == []
    assert view.empty.isVisible() and view.empty.text() == "No customer matches the filter."
    assert not view.call_button.isEnabled()
    qtbot.keyClick(view.filter, Qt.Key.Key_Escape)
    assert view.filter.text() == "" and len(rows(view)) == 4


def test_arrows_enter_double_click_and_the_call_button_dial_the_selected_customer(
        qtbot: QtBot, harness: PhoneHarness, main: MainWindow) -> None:
    view = open_outbound(qtbot, main, 4)
    view.filter.setFocus()
    qtbot.keyClick(view.filter, Qt.Key.Key_Down)  # from the filter: the list moves
    assert view.selected_customer() is not None
    assert view.selected_customer().id == "c3"  # type: ignore[union-attr]
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    assert view.selected_customer().id == "c6"  # type: ignore[union-attr]
    assert not view.call_button.isEnabled()  # no number to call
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    assert dials(harness) == []
    assert visible(view.summary.text()) == "Elena Ionescu has no phone number in the CRM."

    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    assert dials(harness) == ["+40721000001"]

    show_again(qtbot, main, view)
    first = view.visible_items()[0]
    view.list.scrollToItem(first)
    centre = QPoint(30, view.list.visualItemRect(first).center().y())  # on the name
    # A double-click as the mouse makes it: a click, then the second press.
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert dials(harness)[-1] == "+40721000002"

    show_again(qtbot, main, view)
    view.list.setCurrentItem(row_of(view, "c3"))
    qtbot.mouseClick(view.call_button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert dials(harness)[-1] == "+40721000003"


def test_the_outcome_of_todays_call_shows_in_the_row(
        qtbot: QtBot, harness: PhoneHarness, main: MainWindow, sync: SyncService) -> None:
    view = open_outbound(qtbot, main, 4)
    view.list.setCurrentItem(row_of(view, "c1"))
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    (call_id,) = [command.call_id for command in harness.commands(protocol.Dial)]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: main.call_list.row_for(call_id) is not None)
    harness.connect(call_id, "outgoing")
    harness.hang_up(call_id)
    (entry,) = harness.history.recent(1)
    hhmm = datetime.fromtimestamp(entry.started_at).strftime("%H:%M")
    # Hung up, the wrap-up not done yet: back on the tab, the call's result.
    show_again(qtbot, main, view)
    qtbot.waitUntil(lambda: row_of(view, "c1").text(TODAY) == f"Called {hhmm}\nAnswered")

    # The wrap-up records the outcome as a call log in the outbox, as the desk does.
    sync.queue_call_log(call_log(entry, WrapUp("Callback requested", "after 4 pm"),
                                 customer_id="c1")).result(10)
    qtbot.waitUntil(lambda: visible(row_of(view, "c1").text(TODAY))
                    == f"Called {hhmm}\nCallback requested", timeout=5000)

    # The next customer does not pick up.
    show_again(qtbot, main, view)
    view.list.setCurrentItem(row_of(view, "c3"))
    view.dial_selected()
    second = harness.commands(protocol.Dial)[-1].call_id  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: main.call_list.row_for(second) is not None)
    remote = harness.phone.snapshot().calls[second].remote
    harness.emit(protocol.CallStateChanged(second, "disconnected", "outgoing", remote, 480,
                                           "Temporarily Unavailable"))
    qtbot.waitUntil(lambda: main.call_list.row_for(second) is None)
    show_again(qtbot, main, view)
    qtbot.waitUntil(lambda: row_of(view, "c3").text(TODAY).endswith("\nNo answer"))
    assert row_of(view, "c2").text(TODAY) == ""
    assert view.summary.text() == ("4 customers with no order for 6 months"
                                   " · 2 called today")


def test_the_dormant_period_setting_changes_the_list(
        qtbot: QtBot, harness: PhoneHarness, main: MainWindow) -> None:
    view = open_outbound(qtbot, main, 4)
    harness.settings.set("customers.dormant_months", 12)
    qtbot.waitUntil(lambda: rows(view) == ["<b>Kovács</b> Ágnes", RTL_NAME])
    assert view.summary.text() == "2 customers with no order for 12 months"
    harness.settings.set("customers.dormant_months", 1)
    qtbot.waitUntil(lambda: len(rows(view)) == 4 and "Ioana Popescu" not in rows(view))


def test_no_crm_no_outbound_tab(qtbot: QtBot, window: MainWindow) -> None:
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert window.dormant is None
    assert "Ou&tbound" not in titles


# ------------------------------------------------------------------ with the CRM


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[CrmServer]:
    server = CrmServer(tmp_path / "crm")
    try:
        server.start()
        # Retail: the order below is priced from the retail column.
        server.import_data({"customers": [{**CUSTOMERS[0], "type": "retail"}, *CUSTOMERS[1:3]],
                            "products": [product(1)]})
        yield server
    finally:
        server.stop()


def test_a_customer_whose_order_reaches_the_crm_leaves_the_list(
        qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, clock: FakeClock,
        crm: CrmServer) -> None:
    for name, value in (("crm.url", crm.url), ("crm.timeout_seconds", 5),
                        ("sync.interval_seconds", 3600), ("calls.default_region", "RO")):
        harness.settings.set(name, value)
    service = SyncService(Profile.from_dir(harness.root), harness.settings,
                          secrets_with(crm.token), harness.database)
    harness.context.sync = service
    window = MainWindow(harness.context, bridge, clock=clock)
    qtbot.addWidget(window)
    try:
        service.start()
        view = open_outbound_when_synced(qtbot, window, service)
        assert rows(view) == ["<b>Kovács</b> Ágnes", RTL_NAME, "Nguyễn Thị Mai"]
        service.queue_order(order("c1")).result(10)  # taken on a call, sent by the sync
        qtbot.waitUntil(lambda: rows(view) == ["<b>Kovács</b> Ágnes", RTL_NAME],
                        timeout=30_000)
        assert view.summary.text() == "2 customers with no order for 6 months"
    finally:
        service.stop()


def open_outbound_when_synced(qtbot: QtBot, window: MainWindow,
                              service: SyncService) -> DormantView:
    view = window.dormant
    assert view is not None
    window.show()
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: service.state().connection == "online" and len(rows(view)) == 3,
                    timeout=30_000)
    return view
