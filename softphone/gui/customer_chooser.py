"""Several customers share the caller's number: a short list to pick the right one.

Keyboard-first: the list has the focus, arrows move, Return picks; typing letters
filters the list (by name, company, region, email or id, ignoring case and accents),
Backspace takes a letter back, Escape clears the filter. Picking emits
``chosen(Customer)``. CRM text is plain and isolated so right-to-left names keep their
order. Everything here runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.schema import Customer
from softphone.gui.formatting import line, type_name
from softphone.gui.text import isolate, plain_tooltip
from softphone.orders.catalogue import fold

CUSTOMER_ROLE = Qt.ItemDataRole.UserRole


def tr(text: str) -> str:
    return QCoreApplication.translate("CustomerChooser", text)


def matches(customer: Customer, query: str) -> bool:
    """Whether every word of ``query`` occurs in one of the customer's searchable fields."""
    haystack = fold(" ".join((customer.name, customer.company, customer.region,
                                customer.email, customer.id)))
    return all(word in haystack for word in fold(query).split())


def row_text(customer: Customer) -> str:
    """One line: name — company · type · region (each CRM part isolated)."""
    parts = [isolate(line(customer.name, 120))]
    if customer.company:
        parts.append("— " + isolate(line(customer.company, 120)))
    details = [type_name(customer.type)]
    if customer.region:
        details.append(isolate(line(customer.region, 60)))
    return " ".join(parts) + " · " + " · ".join(details)


class CustomerChooser(QFrame):
    """Pick one of several customers (see the module docstring). GUI thread."""

    chosen = Signal(object)  # Customer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerChooser")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.customers: list[Customer] = []
        self.title = QLabel("", self)
        self.title.setObjectName("chooserTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.help = QLabel(tr("↑ ↓ to move · Return to pick · type to filter · Esc clears"),
                           self)
        self.help.setObjectName("fieldHelp")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("chooserFilter")
        self.filter.setPlaceholderText(tr("Filter by name, company, region…"))
        self.filter.setAccessibleName(tr("Filter customers"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaxLength(100)
        self.filter.textChanged.connect(self._refilter)
        self.filter.installEventFilter(self)
        self.list = QListWidget(self)
        self.list.setObjectName("chooserList")
        self.list.setAccessibleName(tr("Customers with this number"))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setUniformItemSizes(True)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.list.itemActivated.connect(self._activated)
        self.list.installEventFilter(self)
        self.empty = QLabel(tr("No customer matches the filter."), self)
        self.empty.setObjectName("emptyHint")
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.help)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)

    def set_customers(self, customers: Sequence[Customer], number: str = "") -> None:
        """Offer ``customers`` (those who have ``number``); the first is selected."""
        self.customers = list(customers)
        count = len(self.customers)
        if number:
            self.title.setText(tr("{n} customers have the number {number}. Which one is "
                                  "calling?").format(n=count, number=isolate(line(number, 40))))
        else:
            self.title.setText(tr("{n} customers match. Which one is calling?").format(n=count))
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self._refilter("")
        self.list.setFocus()

    def visible_customers(self) -> list[Customer]:
        return [self._customer(self.list.item(row)) for row in range(self.list.count())]

    def current_customer(self) -> Customer | None:
        item = self.list.currentItem()
        return self._customer(item) if item is not None else None

    def _refilter(self, query: str) -> None:
        current = self.current_customer()
        self.list.clear()
        for customer in self.customers:
            if not matches(customer, query):
                continue
            item = QListWidgetItem(row_text(customer), self.list)
            item.setData(CUSTOMER_ROLE, customer)
            item.setToolTip(plain_tooltip("\n".join(
                part for part in (line(customer.name), line(customer.company),
                                  line(customer.region), customer.id) if part)))
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{line(customer.name)}, {line(customer.company)}, "
                         f"{type_name(customer.type)}")
            if current is not None and customer.id == current.id:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.empty.setVisible(self.list.count() == 0 and bool(self.customers))

    @staticmethod
    def _customer(item: QListWidgetItem | None) -> Customer:
        assert item is not None
        value = item.data(CUSTOMER_ROLE)
        assert isinstance(value, Customer)
        return value

    def _activated(self, item: QListWidgetItem) -> None:
        self.chosen.emit(self._customer(item))

    def pick_current(self) -> None:
        """Pick the selected customer (what Return does)."""
        item = self.list.currentItem()
        if item is not None:
            self._activated(item)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Typing in the list filters; arrows and Return in the filter move and pick."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.pick_current()
            return True
        if key == Qt.Key.Key_Escape and self.filter.text():
            self.filter.clear()
            self.list.setFocus()
            return True
        if watched is self.filter and key in (Qt.Key.Key_Up, Qt.Key.Key_Down,
                                              Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.list.setFocus()
            QCoreApplication.sendEvent(self.list, QKeyEvent(event))
            return True
        if watched is self.list:
            if key == Qt.Key.Key_Backspace and self.filter.text():
                self.filter.backspace()
                return True
            text = event.text()
            no_command = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                                  | Qt.KeyboardModifier.AltModifier)
            typing = text.isprintable() and (not text.isspace() or bool(self.filter.text()))
            if text and typing and no_command:
                self.filter.insert(text)
                return True
        return super().eventFilter(watched, event)
