"""The Outbound tab: dormant customers to call, and what came of today's calls.

Customers with no order for ``customers.dormant_months`` months (from the encrypted cache,
longest quiet first), with their company, region, type, last order and how long ago,
first phone, and the outcome of today's latest call ("Called 14:32 — Callback
requested"). A customer whose new order the sync brings leaves the list.

Keyboard-first: type in the filter (name, company or phone, ignoring case and accents),
↑ ↓ move the selection from the filter or the list, Return calls the selected customer's
first number, Escape clears the filter. The Call button and a double-click call too;
calling emits ``dial_requested(number)`` (the main window dials it, so the screen-pop
shows the card and the wrap-up records the outcome like any call).

Threads: ``refresh`` reads the cache on its worker; the rows are built on the GUI thread
when the answer arrives (a signal carries it). The sync and settings listeners run on
their own threads and only emit a signal. Everything else runs on the GUI thread. CRM
text is shown as plain text (item views never interpret markup), one line, elided.
"""

from __future__ import annotations

import contextlib
import logging
import re
import weakref
from concurrent.futures import Future
from datetime import UTC, datetime

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.schema import Customer
from softphone.gui import resources
from softphone.gui.formatting import day, line, type_name
from softphone.gui.text import isolate, plain_tooltip
from softphone.orders.catalogue import fold
from softphone.settings import Settings, SettingValue
from softphone.storage.database import DatabaseClosed
from softphone.sync.service import DormantCustomer, LastCall, SyncService, SyncState

log = logging.getLogger(__name__)

#: Most customers listed (the longest quiet); the rest wait for these to be called.
ROW_LIMIT = 500
#: Settings that change what the list holds.
WATCHED_SETTINGS = frozenset({"customers.dormant_months", "calls.default_region"})
# The phone panel is narrow: what the agent needs first comes first, on two lines.
COLUMNS = ("Customer", "Last order", "Today", "Phone", "Region", "Type")
NAME, LAST_ORDER, TODAY, PHONE, REGION, TYPE = range(len(COLUMNS))
#: Widest each column starts (pixels); the agent may drag them wider.
START_WIDTHS = (160, 112, 150, 120, 110)
#: Space above and below each row's two lines (pixels).
ROW_PADDING = 8
CUSTOMER_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: Results the phone records, in the agent's words.
RESULTS = {"answered": "Answered", "no answer": "No answer", "busy": "Busy",
           "failed": "Failed", "missed": "Missed", "declined": "Declined",
           "dropped": "Dropped"}
_DONE_COLOR = QColor("#1b6e3a")
_NOT_REACHED_COLOR = QColor("#8a5a00")
_PHONE_LIKE = re.compile(r"[+0-9\s\-().]+")


def tr(text: str) -> str:
    return QCoreApplication.translate("DormantView", text)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def matches(customer: Customer, query: str) -> bool:
    """Whether ``query`` finds the customer: every word in the name or company (folded
    like the catalogue search), or, for a query written like a phone number, its digits
    in one of the phones (a leading trunk 0 ignored, so national forms match)."""
    query = query.strip()
    if not query:
        return True
    phones = [_digits(phone) for phone in customer.phones]
    if _PHONE_LIKE.fullmatch(query) and (wanted := _digits(query).lstrip("0")):
        return any(wanted in phone for phone in phones)
    haystack = fold(" ".join((customer.name, customer.company, *customer.phones)))
    return all(word in haystack for word in fold(query).split())


def months_between(earlier: datetime, later: datetime) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (0 when less than one)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if (later.day, later.time()) < (earlier.day, earlier.time()):
        months -= 1
    return max(0, months)


def quiet_for(last_order: datetime, now: datetime) -> str:
    """How long ago the last order was: "12 days ago", "8 months ago", "3 years ago"."""
    months = months_between(last_order, now)
    if months < 1:
        days = max(0, (now - last_order).days)
        return tr("1 day ago") if days == 1 else tr("{n} days ago").format(n=days)
    if months < 24:
        return tr("1 month ago") if months == 1 else tr("{n} months ago").format(n=months)
    return tr("{n} years ago").format(n=months // 12)


def customer_text(customer: Customer) -> str:
    """Two lines: the name, then the company (or the region when there is none)."""
    second = customer.company or customer.region or type_name(customer.type)
    return f"{line(customer.name, 200)}\n{line(second, 200)}"


def last_order_text(customer: Customer, now: datetime) -> str:
    """Two lines: how long ago, then the date; or "Never ordered"."""
    if customer.last_order_at is None:
        return tr("Never ordered")
    return f"{quiet_for(customer.last_order_at, now)}\n{day(customer.last_order_at)}"


def outcome_text(call: LastCall | None, separator: str = "\n") -> str:
    """Today's latest call: "Called 14:32", ``separator``, "Callback requested" (or the
    phone's result, "No answer"); "" when there was none."""
    if call is None:
        return ""
    at = datetime.fromtimestamp(call.started_at).strftime("%H:%M")
    if call.disposition:
        outcome = isolate(line(call.disposition, 200))
    else:
        outcome = tr(RESULTS.get(call.result, call.result.capitalize() or "Called"))
    when = (tr("Called {time}") if call.direction == "outgoing"
            else tr("Called us {time}")).format(time=at)
    return f"{when}{separator}{outcome}"


def first_phone(customer: Customer) -> str:
    return customer.phones[0] if customer.phones else ""


class _Row(QTreeWidgetItem):
    """A row that sorts by each column's sort key, not by its text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        tree = self.treeWidget()
        column = tree.sortColumn() if tree is not None else 0
        mine, theirs = self.data(column, SORT_ROLE), other.data(column, SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return bool(mine < theirs)


class _Padded(QStyledItemDelegate):
    """Rows with some air between them, so two-line rows read as one customer each."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + ROW_PADDING)


def _row(entry: DormantCustomer, now: datetime) -> _Row:
    customer, call = entry.customer, entry.last_call
    phone = first_phone(customer)
    texts = [customer_text(customer), last_order_text(customer, now), outcome_text(call),
             phone or tr("no number"), line(customer.region, 100), type_name(customer.type)]
    item = _Row(texts)
    item.setData(NAME, CUSTOMER_ROLE, customer)
    last = customer.last_order_at.timestamp() if customer.last_order_at else float("-inf")
    keys: list[object] = [fold(customer.name), last, call.started_at if call else 0.0,
                          phone, fold(customer.region), texts[TYPE]]
    for column, key in enumerate(keys):
        item.setData(column, SORT_ROLE, key)
    item.setToolTip(NAME, plain_tooltip("\n".join(filter(None, (
        customer.name, customer.company, customer.region)))))
    item.setData(NAME, Qt.ItemDataRole.AccessibleTextRole,
                 " — ".join(filter(None, (customer.name, customer.company))))
    item.setToolTip(REGION, plain_tooltip(customer.region))
    item.setToolTip(PHONE, plain_tooltip("\n".join(customer.phones)))
    if call is not None:
        item.setToolTip(TODAY, plain_tooltip(outcome_text(call, " — ")))
        item.setData(TODAY, Qt.ItemDataRole.AccessibleTextRole, outcome_text(call, " — "))
        reached = bool(call.disposition) or call.result == "answered"
        item.setForeground(TODAY, _DONE_COLOR if reached else _NOT_REACHED_COLOR)
    if not phone:
        item.setForeground(PHONE, QColor("#7b8794"))
    return item


class DormantView(QWidget):
    """The outbound list (see the module docstring). GUI thread."""

    dial_requested = Signal(str)  # the number to call
    _loaded = Signal(object)  # list[DormantCustomer] or the exception; emitted off-thread
    _sync_moved = Signal(object)  # SyncState; emitted on the sync thread
    _setting_moved = Signal()  # emitted on the thread that changed the setting

    def __init__(self, sync: SyncService, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dormantView")
        self.sync = sync
        self.settings = settings
        self._loading = False
        self._stale = True  # nothing read yet
        self._again = False
        self._sync_key: tuple[object, ...] | None = None
        self.entries: list[DormantCustomer] = []
        self._build()
        self._loaded.connect(self._fill)
        self._sync_moved.connect(self.sync_changed)
        self._setting_moved.connect(self.refresh)
        self._listen()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self.filter = QLineEdit(self)
        self.filter.setObjectName("dormantFilter")
        self.filter.setPlaceholderText(tr("Filter by name, company or phone"))
        self.filter.setAccessibleName(tr("Filter the outbound list"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaxLength(100)
        self.filter.textChanged.connect(lambda _text: self._apply_filter())
        self.filter.installEventFilter(self)
        self.summary = QLabel("", self)
        self.summary.setObjectName("fieldHelp")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setObjectName("dormantList")
        self.list.setAccessibleName(tr("Customers to call"))
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels([tr(title) for title in COLUMNS])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)  # every row is two lines
        self.list.setItemDelegate(_Padded(self.list))
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(LAST_ORDER, Qt.SortOrder.AscendingOrder)
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(START_WIDTHS):
            header.resizeSection(column, width)
        self.list.itemActivated.connect(lambda item, _column: self._dial_item(item))
        self.list.currentItemChanged.connect(lambda _now, _before: self._update_button())
        self.list.installEventFilter(self)
        self.empty = QLabel("", self)
        self.empty.setObjectName("emptyHint")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.help = QLabel(tr("↑ ↓ to move · Return calls · type to filter · Esc clears"),
                           self)
        self.help.setObjectName("fieldHelp")
        self.help.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.call_button = QPushButton(resources.icon("answer"), tr("Call"), self)
        self.call_button.setObjectName("dormantCall")
        self.call_button.setAutoDefault(False)
        self.call_button.setAccessibleName(tr("Call the selected customer"))
        self.call_button.setToolTip(tr("Call the selected customer's first number (Return)"))
        self.call_button.clicked.connect(self.dial_selected)
        self.call_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.help, 1)
        bottom.addWidget(self.call_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(bottom)
        QWidget.setTabOrder(self.filter, self.list)
        QWidget.setTabOrder(self.list, self.call_button)

    def _listen(self) -> None:
        """Hear the sync and the settings on their threads; only a signal crosses over.

        The listeners hold the view weakly and do nothing once it is gone (neither the
        sync service nor the settings can forget a listener)."""
        me = weakref.ref(self)

        def sync_listener(state: SyncState) -> None:
            view = me()
            if view is not None:
                with contextlib.suppress(RuntimeError):  # deleted on the Qt side
                    view._sync_moved.emit(state)

        def settings_listener(name: str, _value: SettingValue) -> None:
            view = me()
            if view is not None and name in WATCHED_SETTINGS:
                with contextlib.suppress(RuntimeError):
                    view._setting_moved.emit()

        self.sync.add_listener(sync_listener)
        self.settings.on_change(settings_listener)

    # ------------------------------------------------------------------ reading

    def sync_changed(self, state: SyncState) -> None:
        """Read the list again when a sync pass ended (customers may have ordered) or the
        outbox moved (a call log was queued or sent); not on every progress note."""
        key = (state.last_success, state.customers_cached, state.outbox_waiting,
               state.outbox_needs_attention)
        if key != self._sync_key:
            self._sync_key = key
            self.refresh()

    def refresh(self) -> None:
        """Read the list again (a refresh asked for during a read runs after it).

        Hidden, the view only notes that it is out of date and reads when shown: the
        cache has one worker, and a ringing call's lookup must not wait behind this."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        if self._loading:
            self._again = True
            return
        try:
            future = self.sync.dormant_list(ROW_LIMIT)
        except DatabaseClosed:  # a note queued before the app shut down
            return
        self._loading = True
        future.add_done_callback(self._arrived)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @property
    def loading(self) -> bool:
        """Whether a read is in flight."""
        return self._loading

    def _arrived(self, future: Future[list[DormantCustomer]]) -> None:
        """The cache's worker thread: hand the rows to the GUI thread."""
        exc = future.exception()
        with contextlib.suppress(RuntimeError):  # the view was deleted meanwhile
            self._loaded.emit(exc if exc is not None else future.result())

    def _fill(self, result: list[DormantCustomer] | BaseException) -> None:
        self._loading = False
        if self._again:  # this answer is already stale: show the newer one only
            self._again = False
            self.refresh()
            return
        if isinstance(result, BaseException):
            log.error("Could not read the outbound list", exc_info=result)
            self.summary.setText(tr("The outbound list could not be read."))
            return
        self.set_entries(result)

    def set_entries(self, entries: list[DormantCustomer]) -> None:
        """Show ``entries``, keeping the selection, the sort order and the filter."""
        current = self.selected_customer()
        self.entries = list(entries)
        now = datetime.now(UTC)
        self.list.setUpdatesEnabled(False)
        self.list.clear()
        self.list.addTopLevelItems([_row(entry, now) for entry in self.entries])
        self.list.setUpdatesEnabled(True)
        if current is not None:
            for item in self._items():
                if item.data(NAME, CUSTOMER_ROLE).id == current.id:
                    self.list.setCurrentItem(item)
                    break
        self._apply_filter()

    # ------------------------------------------------------------------ showing

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item for item in items if item is not None]

    def visible_items(self) -> list[QTreeWidgetItem]:
        """The rows the agent sees, top to bottom."""
        return [item for item in self._items() if not item.isHidden()]

    def _apply_filter(self) -> None:
        query = self.filter.text()
        for item in self._items():
            item.setHidden(not matches(item.data(NAME, CUSTOMER_ROLE), query))
        visible = self.visible_items()
        current = self.list.currentItem()
        if visible and (current is None or current.isHidden()):
            self.list.setCurrentItem(visible[0])
        elif not visible:
            self.list.setCurrentIndex(QModelIndex())
        self.list.setVisible(bool(visible))
        self.empty.setVisible(not visible)
        if not self.entries:
            self.empty.setText(tr("No customer is dormant: everyone ordered in the last "
                                  "{n} months.").format(n=self._months()))
        else:
            self.empty.setText(tr("No customer matches the filter."))
        self._update_summary(len(visible))
        self._update_button()

    def _months(self) -> int:
        return int(self.settings["customers.dormant_months"])

    def _update_summary(self, shown: int) -> None:
        total = len(self.entries)
        text = tr("{n} customers with no order for {months} months").format(
            n=total, months=self._months())
        if total >= ROW_LIMIT:
            text += tr(" (the {n} longest quiet)").format(n=ROW_LIMIT)
        if shown != total:
            text += tr(" · {shown} shown").format(shown=shown)
        called = sum(1 for entry in self.entries if entry.last_call is not None)
        if called:
            text += tr(" · {n} called today").format(n=called)
        self.summary.setText(text)

    def _update_button(self) -> None:
        customer = self.selected_customer()
        self.call_button.setEnabled(customer is not None and bool(customer.phones))

    def selected_customer(self) -> Customer | None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return None
        customer: Customer = item.data(NAME, CUSTOMER_ROLE)
        return customer

    # ------------------------------------------------------------------ calling

    def dial_selected(self) -> None:
        """Call the selected customer's first number."""
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._dial_item(item)

    def _dial_item(self, item: QTreeWidgetItem) -> None:
        customer: Customer = item.data(NAME, CUSTOMER_ROLE)
        phone = first_phone(customer)
        if phone:
            self.dial_requested.emit(phone)
        else:
            self.summary.setText(tr("{name} has no phone number in the CRM.").format(
                name=isolate(line(customer.name, 120))))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Filter box: arrows and page keys move the list, Return calls, Escape clears.
        List: Escape goes back to the filter."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.filter:
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
                       Qt.Key.Key_PageDown):
                self._move(key)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
                self.dial_selected()
                return True
            if key == Qt.Key.Key_Escape and self.filter.text():
                self.filter.clear()
                return True
        elif watched is self.list and key == Qt.Key.Key_Escape and self.filter.text():
            self.filter.clear()
            self.filter.setFocus()
            return True
        return super().eventFilter(watched, event)

    def _move(self, key: int) -> None:
        visible = self.visible_items()
        if not visible:
            return
        current = self.list.currentItem()
        index = visible.index(current) if current in visible else -1
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1,
                Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}[Qt.Key(key)]
        index = min(len(visible) - 1, max(0, index + step))
        self.list.setCurrentItem(visible[index])
        self.list.scrollToItem(visible[index])
