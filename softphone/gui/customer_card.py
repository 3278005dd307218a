"""The customer card: who is calling, what they owe, who their manager is, what they did last.

The card shows one customer as the CRM (or the local cache) knows them, or one of the
states before or without a customer: looking up, unknown number, withheld number. It
decides nothing; it offers commands as signals:

- ``order_requested(Customer)``: take an order for this customer;
- ``transfer_requested(str)``: send the call to the assigned manager's extension;
- ``new_customer_requested()``: record an unknown caller.

Every text from the CRM is untrusted: plain labels, bounded, elided on one line with the
full text in the tooltip, and laid out in its own direction (see ``text``). Overdue debt
and overpayment are flagged with a sign, words and colour together. Everything here runs
on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.schema import CallLog, Customer, CustomerType, Order
from softphone.gui.formatting import (
    MAX_NOTES_CHARS,
    bounded,
    day,
    line,
    source_text,
    type_name,
)
from softphone.gui.keyed import keyed_button
from softphone.gui.text import ElidedLabel, isolate, plain_tooltip, text_direction
from softphone.orders.rules import manager_extension, money

ORDER_KEY = "Ctrl+Shift+O"
MANAGER_KEY = "Ctrl+Shift+G"
NEW_CUSTOMER_KEY = "Ctrl+Shift+N"
#: Rows shown in the last orders and last contacts lists.
RECENT_ROWS = 5


def tr(text: str) -> str:
    return QCoreApplication.translate("CustomerCard", text)


def debt_warning(customer: Customer) -> tuple[str, str] | None:
    """(headline, what to do) when the customer has overdue debt or an overpayment."""
    if customer.overdue_debt > 0:
        return (tr("Overdue debt: {amount}").format(amount=money(customer.overdue_debt)),
                tr("Take no order. Tell the customer about the debt and transfer the call "
                   "to their manager or to finance."))
    if customer.overpayment > 0:
        return (tr("Overpayment: {amount}").format(amount=money(customer.overpayment)),
                tr("Take no order before the overpayment is settled: transfer the call to "
                   "their manager or to finance."))
    return None


def manager_text(customer: Customer) -> str:
    manager = customer.manager
    if manager is None:
        return tr("None assigned yet")
    name = line(manager.name, 120)
    if manager.extension:
        return tr("{name} · ext. {ext}").format(name=isolate(name),
                                                 ext=isolate(line(manager.extension, 32)))
    return name


class Badge(QLabel):
    """A short word in a box; ``kind`` is a stylesheet property."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("typeBadge")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def set_kind(self, text: str, kind: str) -> None:
        self.setText(text)
        self.setAccessibleName(text)
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)


class RecentList(QTreeWidget):
    """A few recent records, one line each; long cells are elided, full text in tooltips."""

    def __init__(self, name: str, columns: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setColumnCount(len(columns))
        self.setHeaderLabels(list(columns))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        header = self.header()
        header.setStretchLastSection(True)
        for column in range(len(columns) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.empty_text = ""

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        self.clear()
        for cells in rows[:RECENT_ROWS]:
            item = QTreeWidgetItem([line(cell) for cell in cells])
            for column, cell in enumerate(cells):
                item.setToolTip(column, plain_tooltip(bounded(cell, 1000)))
            self.addTopLevelItem(item)
        metrics = self.fontMetrics()
        visible = max(1, min(len(rows), RECENT_ROWS))
        self.setFixedHeight(self.header().sizeHint().height() + visible * (metrics.height() + 8)
                            + 6)

    def texts(self) -> list[list[str]]:
        rows = []
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item is not None:
                rows.append([item.text(col) for col in range(self.columnCount())])
        return rows


class CustomerCard(QFrame):
    """The caller's record (see the module docstring). GUI thread."""

    order_requested = Signal(object)  # Customer
    transfer_requested = Signal(str)  # the manager's extension
    new_customer_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerCard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setAccessibleName(tr("Customer card"))
        self.customer: Customer | None = None
        self.mode = "empty"
        self._build()
        self.clear()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.badge = Badge(self)
        self.source = QLabel("", self)
        self.source.setObjectName("cardSource")
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        self.source.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addStretch(1)
        top.addWidget(self.source)

        self.name = ElidedLabel("", self)
        self.name.setObjectName("cardName")
        self.company = ElidedLabel("", self)
        self.company.setObjectName("cardCompany")
        self.phone = ElidedLabel("", self)
        self.phone.setObjectName("cardPhone")
        self.hint = QLabel("", self)
        self.hint.setObjectName("cardHint")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.alert = QFrame(self)
        self.alert.setObjectName("cardAlert")
        self.alert_sign = QLabel("⚠", self.alert)
        self.alert_sign.setObjectName("cardAlertSign")
        self.alert_sign.setAccessibleName(tr("Warning"))
        self.alert_title = QLabel("", self.alert)
        self.alert_title.setObjectName("cardAlertTitle")
        self.alert_title.setTextFormat(Qt.TextFormat.PlainText)
        self.alert_text = QLabel("", self.alert)
        self.alert_text.setObjectName("cardAlertText")
        self.alert_text.setTextFormat(Qt.TextFormat.PlainText)
        self.alert_text.setWordWrap(True)
        self.alert_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        alert_layout = QGridLayout(self.alert)
        alert_layout.setContentsMargins(10, 8, 10, 8)
        alert_layout.setHorizontalSpacing(8)
        alert_layout.addWidget(self.alert_sign, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        alert_layout.addWidget(self.alert_title, 0, 1)
        alert_layout.addWidget(self.alert_text, 1, 1)
        alert_layout.setColumnStretch(1, 1)

        self.details = QWidget(self)
        grid = QGridLayout(self.details)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        self.fields: dict[str, ElidedLabel] = {}
        captions = (("manager", tr("Manager")), ("balance", tr("Balance")),
                    ("credit_limit", tr("Credit limit")), ("region", tr("Region")),
                    ("payment_terms", tr("Payment terms")), ("email", tr("Email")),
                    ("last_order", tr("Last order")))
        for row, (key, caption) in enumerate(captions):
            title = QLabel(caption, self.details)
            title.setObjectName("cardCaption")
            value = ElidedLabel("", self.details)
            value.setObjectName("cardValue")
            value.setProperty("field", key)
            title.setBuddy(value)
            grid.addWidget(title, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            self.fields[key] = value
        grid.setColumnStretch(1, 1)

        self.notes_title = self._section(tr("Notes"))
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("cardNotes")
        self.notes.setReadOnly(True)
        self.notes.setAccessibleName(tr("Notes"))
        self.notes.setTabChangesFocus(True)
        self.notes.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.notes.setWordWrapMode(self.notes.wordWrapMode().WrapAtWordBoundaryOrAnywhere)
        self.notes.setMaximumHeight(self.fontMetrics().height() * 4 + 16)
        self.notes.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        self.orders_title = self._section(tr("Last orders"))
        self.orders = RecentList("recentOrders",
                                 [tr("Date"), tr("Order"), tr("Total"), tr("Status")], self)
        self.orders.setAccessibleName(tr("Last orders"))
        self.calls_title = self._section(tr("Last contacts"))
        self.calls = RecentList("recentCalls", [tr("Date"), tr("Outcome"), tr("Notes")], self)
        self.calls.setAccessibleName(tr("Last contacts"))
        self.no_history = QLabel(tr("No orders or calls recorded yet."), self)
        self.no_history.setObjectName("cardHint")

        self.order_button = keyed_button(tr("Take order"), ORDER_KEY,
                                         tr("Open the order form for this customer"), self,
                                         "cardOrder")
        self.order_button.clicked.connect(self._order)
        self.manager_button = keyed_button(tr("Transfer to manager"), MANAGER_KEY,
                                           tr("Send the call to the customer's manager "
                                              "(blind transfer)"), self, "cardTransfer")
        self.manager_button.clicked.connect(self._transfer)
        self.new_button = keyed_button(tr("New customer…"), NEW_CUSTOMER_KEY,
                                       tr("Record this caller for the head of department "
                                          "to assign a manager"), self, "cardNewCustomer")
        self.new_button.clicked.connect(self.new_customer_requested.emit)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for button in (self.order_button, self.manager_button, self.new_button):
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.name)
        layout.addWidget(self.company)
        layout.addWidget(self.phone)
        layout.addWidget(self.hint)
        layout.addWidget(self.alert)
        layout.addSpacing(2)
        layout.addWidget(self.details)
        layout.addWidget(self.notes_title)
        layout.addWidget(self.notes)
        layout.addWidget(self.orders_title)
        layout.addWidget(self.orders)
        layout.addWidget(self.calls_title)
        layout.addWidget(self.calls)
        layout.addWidget(self.no_history)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _section(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("cardSection")
        return label

    # ---------------------------------------------------------------- states

    def clear(self) -> None:
        """Nothing to show (no call)."""
        self._reset("empty")
        self.name.setText(tr("No caller"))
        self.hint.setText(tr("The caller's record appears here when a call comes in."))
        self.hint.show()

    def show_loading(self, number: str) -> None:
        """A lookup is under way for ``number``."""
        self._reset("loading")
        self.badge.set_kind(tr("Looking up…"), "loading")
        self.badge.show()
        self.name.setText(line(number) or tr("Unknown caller"))
        self.hint.setText(tr("Looking for the caller in the customer records…"))
        self.hint.show()

    def show_withheld(self) -> None:
        """The caller hid their number."""
        self._reset("withheld")
        self.badge.set_kind(tr("Number withheld"), "unknown")
        self.badge.show()
        self.name.setText(tr("Number withheld"))
        self.hint.setText(tr("The caller's number is hidden. Ask for their name or company, "
                             "or record them as a new customer."))
        self.hint.show()
        self.new_button.show()

    def show_unknown(self, number: str) -> None:
        """No customer has ``number``."""
        self._reset("unknown")
        self.badge.set_kind(tr("Unknown number"), "unknown")
        self.badge.show()
        self.name.setText(line(number) or tr("Unknown caller"))
        self.hint.setText(tr("No customer has this number. Record the caller as a new "
                             "customer for the head of department to assign a manager."))
        self.hint.show()
        self.new_button.show()

    def show_customer(self, customer: Customer, *, source: str = "cache",
                      fetched_at: datetime | None = None, orders: Sequence[Order] = (),
                      calls: Sequence[CallLog] = (), number: str = "",
                      now: datetime | None = None) -> None:
        """Show ``customer``; ``source`` is "cache" or "crm", ``fetched_at`` the data's age."""
        now = now or datetime.now(UTC)
        self._reset("customer")
        self.customer = customer
        kind = customer.type
        self.setProperty("kind", kind.value)
        self.badge.set_kind(("★ " if kind == CustomerType.KEY else "") + type_name(kind),
                            kind.value)
        self.badge.show()
        self.source.setText(source_text(source, fetched_at, now))
        self.source.show()
        self.name.setText(line(customer.name))
        self.company.setText(line(customer.company))
        self.company.setVisible(bool(customer.company))
        phone = number or (customer.phones[0] if customer.phones else "")
        self.phone.setText(line(phone))
        self.phone.setVisible(bool(phone))
        self._show_alert(customer)
        self._show_details(customer)
        notes = customer.notes.strip()
        direction = text_direction(notes)  # Persian notes start at the right
        self.notes.setLayoutDirection(direction)
        self.notes.setPlainText(bounded(notes, MAX_NOTES_CHARS))
        option = self.notes.document().defaultTextOption()
        option.setTextDirection(direction)
        option.setAlignment(Qt.AlignmentFlag.AlignAbsolute | (
            Qt.AlignmentFlag.AlignRight if direction == Qt.LayoutDirection.RightToLeft
            else Qt.AlignmentFlag.AlignLeft))
        self.notes.document().setDefaultTextOption(option)
        self.notes.setToolTip(plain_tooltip(bounded(notes, 1000)) if notes else "")
        self.notes_title.setVisible(bool(notes))
        self.notes.setVisible(bool(notes))
        self._show_recent(orders, calls)
        self.details.show()
        self.order_button.show()
        manager = customer.manager
        self.manager_button.setVisible(manager is not None)
        self.manager_button.setEnabled(manager_extension(customer) is not None)
        self._repolish()

    # ---------------------------------------------------------------- parts

    def _reset(self, mode: str) -> None:
        self.mode = mode
        self.customer = None
        self.setProperty("kind", mode)
        for widget in (self.badge, self.source, self.company, self.phone, self.hint, self.alert,
                       self.details, self.notes_title, self.notes, self.orders_title,
                       self.orders, self.calls_title, self.calls, self.no_history,
                       self.order_button, self.manager_button, self.new_button):
            widget.hide()
        self.source.setText("")
        self.company.setText("")
        self.phone.setText("")
        self.notes.setPlainText("")
        self._repolish()

    def _show_alert(self, customer: Customer) -> None:
        warning = debt_warning(customer)
        self.alert.setVisible(warning is not None)
        if warning is None:
            return
        title, text = warning
        self.alert.setProperty("level", "debt" if customer.overdue_debt > 0 else "overpayment")
        self.alert_title.setText(title)
        self.alert_text.setText(text)
        self.alert.setAccessibleName(f"{title}. {text}")
        self.alert.style().unpolish(self.alert)
        self.alert.style().polish(self.alert)

    def _show_details(self, customer: Customer) -> None:
        values = {
            "manager": manager_text(customer),
            "balance": money(customer.balance),
            "credit_limit": money(customer.credit_limit),
            "region": line(customer.region) or "—",
            "payment_terms": line(customer.payment_terms) or "—",
            "email": line(customer.email) or "—",
            "last_order": day(customer.last_order_at) if customer.last_order_at else tr("never"),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        balance = self.fields["balance"]
        balance.setProperty("negative", customer.balance < Decimal(0))
        balance.style().unpolish(balance)
        balance.style().polish(balance)

    def _show_recent(self, orders: Sequence[Order], calls: Sequence[CallLog]) -> None:
        self.orders.set_rows([(day(order.created_at), order.number, money(order.total),
                               order.status.value) for order in orders])
        self.calls.set_rows([(day(call.started_at), call.disposition, call.notes)
                             for call in calls])
        for title, view, has in ((self.orders_title, self.orders, bool(orders)),
                                 (self.calls_title, self.calls, bool(calls))):
            title.setVisible(has)
            view.setVisible(has)
        self.no_history.setVisible(not orders and not calls)

    def _repolish(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)

    # ---------------------------------------------------------------- commands

    def _order(self) -> None:
        if self.customer is not None:
            self.order_requested.emit(self.customer)

    def _transfer(self) -> None:
        customer = self.customer
        extension = manager_extension(customer) if customer is not None else None
        if extension is not None:
            self.transfer_requested.emit(extension)
