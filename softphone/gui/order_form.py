"""The order form: the order taken on the call, keyboard-first, over ``softphone.orders``.

The form edits an ``OrderDraft`` and shows what the order rules say about it; it computes
nothing itself. Prices, discounts and totals come from the draft (``pricing``), problems
and the debt block from ``rules.review``, suggestions from ``suggestions.suggest``,
search results from the ``Catalogue``.

Keys (written on the form):

- Ctrl+F: the catalogue search. Type, ↑ ↓ to pick a result, Return adds one (again: one
  more). Quantities are edited in the lines table (F2 or typing a digit); Delete removes
  the selected line.
- In the suggestions: Return adds the product, Space marks it as offered.
- Ctrl+Enter submits. If fewer than ``orders.offer_minimum`` products were offered, the
  offer prompt shows first; Escape dismisses it, and the dismissal is kept in the draft.
- With overdue debt or an overpayment the order is blocked, the reason is shown, and
  Ctrl+Shift+G transfers the call to the manager (``transfer_requested(extension)``).

Submitting emits ``submitted(OrderCreate)``. The draft is saved through the
``DraftStore`` given to the form a moment after each change (debounced), and deleted
once the order is submitted; a saved draft for the customer is offered for restoring
when the form opens. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import date

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.schema import (
    Customer,
    CustomerType,
    DeliveryMethod,
    Order,
    PriceLists,
    Product,
)
from softphone.gui.customer_card import MANAGER_KEY, Badge
from softphone.gui.formatting import line, type_name
from softphone.gui.keyed import fit_rows, keyed_button, keys
from softphone.gui.text import ElidedLabel, isolate, plain_tooltip
from softphone.orders import pricing, rules
from softphone.orders.catalogue import Catalogue
from softphone.orders.draft import MAX_QUANTITY, OrderDraft
from softphone.orders.drafts import DraftStore
from softphone.orders.rules import money
from softphone.orders.suggestions import Suggestion, suggest

SUBMIT_KEY = "Ctrl+Return"
SEARCH_KEY = "Ctrl+F"
RESTORE_KEY = "Ctrl+Shift+R"
DISMISS_KEY = "Escape"
AUTOSAVE_MS = 800
RESULT_ROWS = 6
PRODUCT_ROLE = Qt.ItemDataRole.UserRole
#: Choices offered for the free-text fields (the agent may type another).
WINDOWS = ("08:00-12:00", "12:00-16:00", "16:00-20:00", "All day")
PAYMENT_METHODS = ("Bank transfer", "Cash on delivery", "Card on delivery",
                   "Deferred (payment terms)")
DOCUMENTS = ("Invoice", "Delivery note", "Quality certificates", "Contract")
METHODS = ((DeliveryMethod.DELIVERY, "Delivery"), (DeliveryMethod.PICKUP, "Pick-up"),
           (DeliveryMethod.SHIPPING, "Shipping"))
COLUMNS = ("SKU", "Product", "Qty", "Unit price", "Disc. %", "Total")
QTY_COLUMN = 2

log = logging.getLogger(__name__)


def tr(text: str) -> str:
    return QCoreApplication.translate("OrderForm", text)


class QuantityDelegate(QStyledItemDelegate):
    """Edits a quantity with a spin box bounded by what an order line may hold."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = QSpinBox(parent)
        editor.setRange(0, MAX_QUANTITY)
        editor.setAccessibleName(tr("Quantity"))
        editor.setFrame(False)
        return editor


class OrderForm(QWidget):
    """The order being taken (see the module docstring). GUI thread."""

    submitted = Signal(object)  # OrderCreate
    transfer_requested = Signal(str)  # the manager's extension
    back_requested = Signal()
    #: (opening number, saved drafts or the exception reading them); from any thread.
    _drafts_loaded = Signal(int, object)

    def __init__(self, store: DraftStore, *, offer_minimum: int = 3,
                 today: Callable[[], date] = date.today, autosave_ms: int = AUTOSAVE_MS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderForm")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.store = store
        self.offer_minimum = offer_minimum
        self.today = today
        self.customer: Customer | None = None
        self.draft: OrderDraft | None = None
        self.catalogue = Catalogue([])
        self.price_lists = PriceLists(columns=[], column_for_type={})
        self.recent_orders: list[Order] = []
        self.usual_for_type: list[str] = []
        self.review: rules.Review | None = None
        self.suggestions: list[Suggestion] = []
        self.saved_draft: OrderDraft | None = None
        self.tried_submit = False
        self._touched: set[str] = set()
        self._filling = False
        self._opening = 0  # which open() a late answer about saved drafts belongs to
        self._drafts_loaded.connect(self._offer_saved)
        self.errors: dict[str, QLabel] = {}
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(autosave_ms)
        self._autosave.timeout.connect(self.save_now)
        self._build()

    # ================================================================ building

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(self._build_header())
        layout.addWidget(self._build_restore_bar())
        layout.addWidget(self._build_debt_block())
        layout.addWidget(self._build_search())
        layout.addWidget(self._build_lines())
        layout.addWidget(self._build_offer_prompt())
        layout.addWidget(self._build_suggestions())
        layout.addWidget(self._build_delivery())
        layout.addLayout(self._build_footer())
        layout.addStretch(1)
        for widget in self.findChildren(QWidget):
            if isinstance(widget, (QLineEdit, QPlainTextEdit, QComboBox, QDateEdit,
                                   QCheckBox, QListWidget, QTableWidget)):
                widget.installEventFilter(self)

    def _build_header(self) -> QHBoxLayout:
        self.title = ElidedLabel("", self)
        self.title.setObjectName("formTitle")
        self.badge = Badge(self)
        self.back_button = keyed_button(tr("Back to card"), "Ctrl+Shift+C",
                                        tr("Show the customer card; the draft is kept"), self,
                                        "orderBack")
        self.back_button.clicked.connect(self.back_requested.emit)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.badge)
        return row

    def _build_restore_bar(self) -> QFrame:
        self.restore_bar = QFrame(self)
        self.restore_bar.setObjectName("banner")
        self.restore_bar.setProperty("level", "info")
        self.restore_text = QLabel("", self.restore_bar)
        self.restore_text.setTextFormat(Qt.TextFormat.PlainText)
        self.restore_text.setWordWrap(True)
        self.restore_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.restore_button = keyed_button(tr("Restore draft"), RESTORE_KEY,
                                           tr("Continue the order saved earlier"),
                                           self.restore_bar, "bannerAction")
        self.restore_button.clicked.connect(self.restore_saved)
        row = QHBoxLayout(self.restore_bar)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.restore_text, 1)
        row.addWidget(self.restore_button)
        self.restore_bar.hide()
        return self.restore_bar

    def _build_debt_block(self) -> QFrame:
        self.debt = QFrame(self)
        self.debt.setObjectName("debtBlock")
        sign = QLabel("⚠", self.debt)
        sign.setObjectName("cardAlertSign")
        title = QLabel(tr("Order blocked"), self.debt)
        title.setObjectName("cardAlertTitle")
        self.debt_text = QLabel("", self.debt)
        self.debt_text.setObjectName("cardAlertText")
        self.debt_text.setTextFormat(Qt.TextFormat.PlainText)
        self.debt_text.setWordWrap(True)
        self.debt_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.transfer_button = keyed_button(tr("Transfer to manager"), MANAGER_KEY,
                                            tr("Send the call to the customer's manager "
                                               "(blind transfer)"), self.debt, "debtTransfer")
        self.transfer_button.clicked.connect(self._transfer)
        grid = QGridLayout(self.debt)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(8)
        grid.addWidget(sign, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(title, 0, 1)
        grid.addWidget(self.debt_text, 1, 1)
        grid.addWidget(self.transfer_button, 2, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        self.debt.hide()
        return self.debt

    def _build_search(self) -> QWidget:
        box = QWidget(self)
        self.search = QLineEdit(box)
        self.search.setObjectName("catalogueSearch")
        self.search.setPlaceholderText(tr("Find a product by name or SKU ({keys})")
                                       .format(keys=keys(SEARCH_KEY)))
        self.search.setAccessibleName(tr("Find a product"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(100)
        self.search.textChanged.connect(self._search_changed)
        QShortcut(QKeySequence(SEARCH_KEY), self, self.focus_search,
                  context=Qt.ShortcutContext.WindowShortcut)
        self.results = QListWidget(box)
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName(tr("Products found"))
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setUniformItemSizes(True)
        self.results.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.results.setFixedHeight(RESULT_ROWS * (self.fontMetrics().height() + 6) + 8)
        self.results.itemActivated.connect(self._add_result)
        self.results.hide()
        self.search_hint = QLabel(tr("↑ ↓ pick · Return adds one · quantities in the table"),
                                  box)
        self.search_hint.setObjectName("fieldHelp")
        self.search_hint.hide()
        self.search_error = QLabel("", box)
        self.search_error.setObjectName("inlineError")
        self.search_error.setWordWrap(True)
        self.search_error.setTextFormat(Qt.TextFormat.PlainText)
        self.search_error.hide()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.search)
        column.addWidget(self.results)
        column.addWidget(self.search_hint)
        column.addWidget(self.search_error)
        return box

    def _build_lines(self) -> QWidget:
        box = QWidget(self)
        self.table = QTableWidget(0, len(COLUMNS), box)
        self.table.setObjectName("orderLines")
        self.table.setAccessibleName(tr("Order lines"))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked)
        self.table.setItemDelegateForColumn(QTY_COLUMN, QuantityDelegate(self.table))
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.table.setMinimumHeight(self.fontMetrics().height() * 6)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            mode = (QHeaderView.ResizeMode.Stretch if column == 1
                    else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(column, mode)
        self.table.itemChanged.connect(self._quantity_edited)
        self.lines_hint = QLabel(tr("Type a digit or F2 to change a quantity · Delete removes "
                                    "the line"), box)
        self.lines_hint.setObjectName("fieldHelp")
        self.errors["lines"] = self._error_label(box)
        self.totals = QLabel("", box)
        self.totals.setObjectName("orderTotals")
        self.totals.setTextFormat(Qt.TextFormat.PlainText)
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.grand_total = QLabel("", box)
        self.grand_total.setObjectName("orderGrandTotal")
        self.grand_total.setTextFormat(Qt.TextFormat.PlainText)
        self.grand_total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.errors["total"] = self._error_label(box)
        stack = QVBoxLayout(box)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.setSpacing(2)
        stack.addWidget(self.table)
        stack.addWidget(self.lines_hint)
        stack.addWidget(self.errors["lines"])
        stack.addWidget(self.totals)
        stack.addWidget(self.grand_total)
        stack.addWidget(self.errors["total"])
        return box

    def _build_offer_prompt(self) -> QFrame:
        self.offer_prompt = QFrame(self)
        self.offer_prompt.setObjectName("offerPrompt")
        self.offer_text = QLabel("", self.offer_prompt)
        self.offer_text.setObjectName("offerText")
        self.offer_text.setTextFormat(Qt.TextFormat.PlainText)
        self.offer_text.setWordWrap(True)
        self.offer_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.dismiss_button = keyed_button(tr("Dismiss"), DISMISS_KEY,
                                           tr("Close the order without offering more "
                                              "(recorded with the order)"), self.offer_prompt,
                                           "offerDismiss")
        self.dismiss_button.setText(tr("Dismiss (Esc)"))
        self.dismiss_button.clicked.connect(self.dismiss_offer_prompt)
        row = QHBoxLayout(self.offer_prompt)
        row.setContentsMargins(10, 8, 8, 8)
        row.addWidget(self.offer_text, 1)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.offer_prompt.hide()
        return self.offer_prompt

    def _build_suggestions(self) -> QWidget:
        box = QWidget(self)
        title = QLabel(tr("&Suggestions: offer these"), box)
        title.setObjectName("cardSection")
        self.offer_count = QLabel("", box)
        self.offer_count.setObjectName("offerCount")
        self.offer_count.setTextFormat(Qt.TextFormat.PlainText)
        self.suggestion_list = QListWidget(box)
        self.suggestion_list.setObjectName("suggestionList")
        self.suggestion_list.setAccessibleName(tr("Suggestions"))
        self.suggestion_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.suggestion_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.suggestion_list.setSizePolicy(QSizePolicy.Policy.Ignored,
                                           QSizePolicy.Policy.Fixed)
        self.suggestion_list.itemActivated.connect(lambda _item: self.add_suggestion())
        title.setBuddy(self.suggestion_list)
        hint = QLabel(tr("Return adds · Space marks as offered"), box)
        hint.setObjectName("fieldHelp")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.offer_count)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(top)
        column.addWidget(self.suggestion_list)
        column.addWidget(hint)
        self.suggestions_box = box
        return box

    def _build_delivery(self) -> QWidget:
        box = QWidget(self)
        title = QLabel(tr("Delivery and payment"), box)
        title.setObjectName("cardSection")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(4)
        self.form = form

        self.method = QComboBox(box)
        for method, text in METHODS:
            self.method.addItem(tr(text), method.value)
        self.method.currentIndexChanged.connect(lambda _i: self._field_edited("delivery.method"))
        self.date = QDateEdit(box)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(QDate(2000, 1, 1))
        self.date.setSpecialValueText(tr("Not agreed yet"))
        self.date.dateChanged.connect(lambda _d: self._field_edited("delivery.date"))
        self.time_window = QComboBox(box)
        self.time_window.setEditable(True)
        self.time_window.addItems(["", *WINDOWS])
        window_edit = self.time_window.lineEdit()
        if window_edit is not None:
            window_edit.setMaxLength(33)
            window_edit.setPlaceholderText(tr("e.g. 08:00-12:00"))
        self.time_window.currentTextChanged.connect(
            lambda _t: self._field_edited("delivery.window"))
        self.contact = QLineEdit(box)
        self.contact.setMaxLength(201)
        self.contact.setPlaceholderText(tr("Who will receive the goods"))
        self.contact.textEdited.connect(
            lambda _t: self._field_edited("delivery.contact_person"))
        self.address = self._text_box(box)
        self.address.textChanged.connect(lambda: self._field_edited("delivery.address"))
        self.shipping = self._text_box(box)
        self.shipping.setPlaceholderText(tr("Carrier, destination terminal, consignee"))
        self.shipping.textChanged.connect(
            lambda: self._field_edited("delivery.shipping_details"))
        self.payment = QComboBox(box)
        self.payment.setEditable(True)
        self.payment.addItems(["", *[tr(p) for p in PAYMENT_METHODS]])
        payment_edit = self.payment.lineEdit()
        if payment_edit is not None:
            payment_edit.setMaxLength(201)
        self.payment.currentTextChanged.connect(lambda _t: self._field_edited("payment_method"))
        docs = QWidget(box)
        docs_row = QHBoxLayout(docs)
        docs_row.setContentsMargins(0, 0, 0, 0)
        self.documents: dict[str, QCheckBox] = {}
        for name in DOCUMENTS:
            check = QCheckBox(tr(name), docs)
            check.toggled.connect(lambda _c: self._field_edited("documents"))
            docs_row.addWidget(check)
            self.documents[name] = check
        docs_row.addStretch(1)
        self.notes = self._text_box(box)
        self.notes.textChanged.connect(lambda: self._field_edited("notes"))

        self.inputs: dict[str, QWidget] = {
            "delivery.method": self.method, "delivery.date": self.date,
            "delivery.window": self.time_window, "delivery.contact_person": self.contact,
            "delivery.address": self.address, "delivery.shipping_details": self.shipping,
            "payment_method": self.payment, "documents": docs, "notes": self.notes,
        }
        captions = {
            "delivery.method": tr("&Method"), "delivery.date": tr("&Date"),
            "delivery.window": tr("Time &window"),
            "delivery.contact_person": tr("Contact &person"),
            "delivery.address": tr("&Address"), "delivery.shipping_details": tr("S&hipping"),
            "payment_method": tr("Pa&yment"), "documents": tr("Documents"),
            "notes": tr("N&otes"),
        }
        self.captions: dict[str, QLabel] = {}
        self.holders: dict[str, QWidget] = {}
        for name, widget in self.inputs.items():
            caption = QLabel(captions[name], box)
            caption.setBuddy(widget)
            widget.setAccessibleName(captions[name].replace("&", ""))
            self.errors[name] = self._error_label(box)
            holder = QWidget(box)
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(widget)
            column.addWidget(self.errors[name])
            form.addRow(caption, holder)
            self.captions[name] = caption
            self.holders[name] = holder
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        outer.addWidget(title)
        outer.addLayout(form)
        return box

    def _build_footer(self) -> QVBoxLayout:
        self.summary = QLabel("", self)
        self.summary.setObjectName("inlineError")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.submit_button = keyed_button(tr("Submit order"), SUBMIT_KEY,
                                          tr("Check the order and send it to the CRM"), self,
                                          "orderSubmit")
        self.submit_button.clicked.connect(self.submit)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.submit,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        row = QHBoxLayout()
        row.addWidget(self.back_button)
        row.addStretch(1)
        row.addWidget(self.submit_button)
        footer = QVBoxLayout()
        footer.setSpacing(4)
        footer.addWidget(self.summary)
        footer.addLayout(row)
        return footer

    def _text_box(self, parent: QWidget) -> QPlainTextEdit:
        box = QPlainTextEdit(parent)
        box.setTabChangesFocus(True)
        box.setFixedHeight(self.fontMetrics().height() * 2 + 16)
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        return box

    def _error_label(self, parent: QWidget) -> QLabel:
        label = QLabel("", parent)
        label.setObjectName("inlineError")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.hide()
        return label

    # ================================================================ opening

    def open(self, customer: Customer, catalogue: Catalogue, price_lists: PriceLists, *,
             recent_orders: Sequence[Order] = (), usual_for_type: Sequence[str] = (),
             call_id: str = "", agent: str = "", draft: OrderDraft | None = None) -> None:
        """Start (or, with ``draft``, continue) an order for ``customer``.

        Without ``draft`` a new one is started, and the newest saved draft for this
        customer, if any, is offered in the restore bar once the cache has answered
        (the form does not wait for it).
        """
        self.customer = customer
        self.catalogue = catalogue
        self.price_lists = price_lists
        self.recent_orders = list(recent_orders)
        self.usual_for_type = list(usual_for_type)
        self.saved_draft = None
        self._opening += 1
        new = draft is None
        self._start(draft or OrderDraft.for_customer(customer, call_id=call_id, agent=agent))
        self._show_restore_bar()
        if new:
            self._look_for_saved(self._opening)
        self.title.setText(tr("Order for {name}").format(name=line(customer.name)))
        kind = customer.type
        self.badge.set_kind(("★ " if kind == CustomerType.KEY else "") + type_name(kind),
                            kind.value)
        self.focus_search()

    def set_usual_for_type(self, skus: Sequence[str]) -> None:
        """The SKUs usual for the customer's type changed (a sync brought new ones): the
        suggestions show them at once."""
        self.usual_for_type = list(skus)
        if self.draft is not None and self.customer is not None:
            self._show_suggestions()

    def restore_saved(self) -> None:
        """Continue the draft offered in the restore bar (Ctrl+Shift+R)."""
        saved = self.saved_draft
        if saved is None or self.draft is None:
            return
        current = self.draft
        if saved.draft_id != current.draft_id:
            self.store.delete(current.draft_id)
        self.saved_draft = None
        if not saved.call_id:
            saved.call_id = current.call_id
        self._start(saved)
        self._show_restore_bar()
        self.focus_search()

    def _look_for_saved(self, opening: int) -> None:
        """Ask the store for saved drafts; the answer comes back through a queued signal."""

        def answered(future: Future[list[OrderDraft]]) -> None:
            """Any thread (the cache's worker for the real store)."""
            with contextlib.suppress(RuntimeError):  # the form was deleted meanwhile
                self._drafts_loaded.emit(opening, future.exception() or future.result())

        try:
            self.store.load_all().add_done_callback(answered)
        except Exception:  # a broken store must not stop the order being taken
            log.exception("Could not read the saved order drafts")

    @Slot(int, object)
    def _offer_saved(self, opening: int, answer: object) -> None:
        """GUI thread: offer the newest saved draft for the customer still on the form."""
        if isinstance(answer, BaseException):
            log.error("Could not read the saved order drafts", exc_info=answer)
            return
        if opening != self._opening or self.draft is None or not isinstance(answer, list):
            return
        current = self.draft
        saved = [d for d in answer
                 if d.customer_id == current.customer_id and d.draft_id != current.draft_id]
        self.saved_draft = saved[-1] if saved else None
        self._show_restore_bar()

    def _start(self, draft: OrderDraft) -> None:
        self.draft = draft
        self.tried_submit = False
        self._touched.clear()
        # A restored draft is priced for the customer's type as it is now.
        draft.reprice(self.catalogue.by_sku, self.price_lists,
                      self.customer.type if self.customer is not None else None)
        self._fill_fields()
        self.search.clear()
        self.offer_prompt.hide()
        self.refresh()

    def _show_restore_bar(self) -> None:
        saved = self.saved_draft
        self.restore_bar.setVisible(saved is not None)
        if saved is None:
            return
        when = saved.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        count = len(saved.lines)
        self.restore_text.setText(
            tr("An unfinished order for this customer was saved at {when} ({n} products).")
            .format(when=when, n=count))

    def _fill_fields(self) -> None:
        draft = self.draft
        assert draft is not None
        self._filling = True
        try:
            self.method.setCurrentIndex(max(0, self.method.findData(draft.delivery_method.value)))
            if draft.delivery_date is None:
                self.date.setDate(self.date.minimumDate())
            else:
                value = draft.delivery_date
                self.date.setDate(QDate(value.year, value.month, value.day))
            self.time_window.setEditText(draft.delivery_window)
            self.contact.setText(draft.contact_person)
            self.address.setPlainText(draft.delivery_address)
            self.shipping.setPlainText(draft.shipping_details)
            self.payment.setEditText(draft.payment_method)
            for name, check in self.documents.items():
                check.setChecked(name in draft.documents)
            self.notes.setPlainText(draft.notes)
        finally:
            self._filling = False
        self._method_rows()

    # ================================================================ editing

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_changed(self, text: str) -> None:
        products = self.catalogue.search(text, limit=50) if text.strip() else []
        self.results.clear()
        self.search_error.hide()
        customer = self.customer
        for product in products:
            price = ""
            if customer is not None and pricing.is_priced(product, customer.type,
                                                          self.price_lists):
                price = money(pricing.unit_price(product, customer.type, self.price_lists))
            else:
                price = tr("no price")
            flags = "".join(flag for flag, on in (("★ ", product.is_special),
                                                  ("NEW ", product.is_new)) if on)
            text_line = (f"{flags}{isolate(line(product.name, 120))} · {product.sku} · {price} / "
                         f"{line(product.unit, 16)} · " + tr("stock {n}").format(n=product.stock))
            item = QListWidgetItem(text_line, self.results)
            item.setData(PRODUCT_ROLE, product.sku)
            item.setToolTip(plain_tooltip(f"{product.name}\n{product.sku}"))
        has = bool(products)
        self.results.setVisible(has)
        self.search_hint.setVisible(has)
        if has:
            fit_rows(self.results, RESULT_ROWS)
            self.results.setCurrentRow(0)
        elif text.strip():
            self.search_error.setText(tr("No product matches “{text}”.").format(
                text=line(text, 60)))
            self.search_error.show()

    def _add_result(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        sku = item.data(PRODUCT_ROLE)
        product = self.catalogue.get(sku) if isinstance(sku, str) else None
        if product is not None:
            self.add_product(product)
        self.focus_search()

    def add_product(self, product: Product, *, offered: bool = False) -> bool:
        """Add one of ``product`` (one more if it is in); False with the reason shown if not."""
        if self.draft is None:
            return False
        try:
            self.draft.add_product(product, self.price_lists, offered=offered)
        except (pricing.NotPriced, ValueError) as reason:
            self.search_error.setText(str(reason))
            self.search_error.show()
            return False
        self._changed()
        row = next(i for i, x in enumerate(self.draft.lines) if x.sku == product.sku)
        self.table.selectRow(row)
        return True

    def set_quantity(self, sku: str, quantity: int) -> None:
        if self.draft is None:
            return
        self.draft.set_quantity(sku, quantity, self.price_lists)
        self._touched.add("lines")
        self._changed()

    def remove_selected_line(self) -> None:
        """Delete: take the selected line out of the order."""
        draft = self.draft
        row = self.table.currentRow()
        if draft is None or not 0 <= row < len(draft.lines):
            return
        draft.remove_line(draft.lines[row].sku, self.price_lists)
        self._changed()
        if draft.lines:
            self.table.selectRow(min(row, len(draft.lines) - 1))

    def _quantity_edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != QTY_COLUMN or self.draft is None:
            return
        row = item.row()
        if not 0 <= row < len(self.draft.lines):
            return
        value = item.data(Qt.ItemDataRole.EditRole)
        try:
            quantity = int(value)
        except (TypeError, ValueError):
            quantity = 0
        sku = self.draft.lines[row].sku
        QTimer.singleShot(0, self, lambda: self._apply_quantity(sku, quantity))

    def _apply_quantity(self, sku: str, quantity: int) -> None:
        # After the editor has closed: the table is rebuilt from the draft.
        if self.draft is not None and self.draft.line(sku) is not None:
            self.set_quantity(sku, quantity)

    def add_suggestion(self) -> None:
        """Return in the suggestions: add the product (it counts as offered)."""
        suggestion = self._current_suggestion()
        if suggestion is not None and self.add_product(suggestion.product, offered=True):
            self.suggestion_list.setFocus()

    def mark_offered(self) -> None:
        """Space in the suggestions: the agent offered it (taken or not)."""
        suggestion = self._current_suggestion()
        if suggestion is None or self.draft is None:
            return
        row = self.suggestion_list.currentRow()
        self.draft.mark_offered(suggestion.sku)
        self._changed()
        self.suggestion_list.setCurrentRow(min(row + 1, self.suggestion_list.count() - 1))

    def _current_suggestion(self) -> Suggestion | None:
        row = self.suggestion_list.currentRow()
        return self.suggestions[row] if 0 <= row < len(self.suggestions) else None

    def _field_edited(self, name: str) -> None:
        if self._filling or self.draft is None:
            return
        draft = self.draft
        if name == "delivery.method":
            draft.delivery_method = DeliveryMethod(self.method.currentData())
            self._method_rows()
        elif name == "delivery.date":
            value = self.date.date()
            draft.delivery_date = (None if value == self.date.minimumDate()
                                   else date(value.year(), value.month(), value.day()))
        elif name == "delivery.window":
            draft.delivery_window = self.time_window.currentText().strip()
        elif name == "delivery.contact_person":
            draft.contact_person = self.contact.text()
        elif name == "delivery.address":
            draft.delivery_address = self.address.toPlainText()
        elif name == "delivery.shipping_details":
            draft.shipping_details = self.shipping.toPlainText()
        elif name == "payment_method":
            draft.payment_method = self.payment.currentText().strip()
        elif name == "documents":
            draft.documents = [n for n, check in self.documents.items() if check.isChecked()]
        elif name == "notes":
            draft.notes = self.notes.toPlainText()
        draft.touch()
        self._touched.add(name)
        self._changed(redraw_lines=False)

    def _method_rows(self) -> None:
        """Address for delivery, shipping details for shipping; pick-up needs neither."""
        method = DeliveryMethod(self.method.currentData())
        self.form.setRowVisible(self.holders["delivery.address"],
                                method == DeliveryMethod.DELIVERY)
        self.form.setRowVisible(self.holders["delivery.shipping_details"],
                                method == DeliveryMethod.SHIPPING)
        self.form.setRowVisible(self.holders["delivery.contact_person"],
                                method != DeliveryMethod.PICKUP)
        self.captions["delivery.date"].setText(
            tr("Pick-up &date") if method == DeliveryMethod.PICKUP else tr("&Date"))

    def _changed(self, *, redraw_lines: bool = True) -> None:
        if redraw_lines:
            self._fill_lines()
        self.refresh(redraw_lines=False)
        self._autosave.start()

    # ================================================================ showing the rules

    def refresh(self, *, redraw_lines: bool = True) -> None:
        """Recompute totals, problems and suggestions from the draft and show them."""
        draft, customer = self.draft, self.customer
        if draft is None or customer is None:
            return
        if redraw_lines:
            self._fill_lines()
        self.review = rules.review(draft, customer, products=self.catalogue.by_sku,
                                   price_lists=self.price_lists,
                                   offer_minimum=self.offer_minimum, today=self.today())
        self._show_totals()
        self._show_debt(self.review.debt)
        self._show_problems(self.review)
        self._show_suggestions()

    def _fill_lines(self) -> None:
        draft = self.draft
        assert draft is not None
        totals = draft.totals(self.price_lists.tax_percent)
        self._filling = True
        try:
            self.table.setRowCount(len(draft.lines))
            for row, draft_line in enumerate(draft.lines):
                cells = (draft_line.sku, line(draft_line.name, 200), draft_line.quantity,
                         money(draft_line.unit_price),
                         f"{draft_line.discount_percent:g}" if draft_line.discount_percent
                         else "", money(totals.line_totals[row]))
                for column, value in enumerate(cells):
                    item = QTableWidgetItem()
                    item.setData(Qt.ItemDataRole.EditRole if column == QTY_COLUMN
                                 else Qt.ItemDataRole.DisplayRole, value)
                    flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                    if column == QTY_COLUMN:
                        flags |= Qt.ItemFlag.ItemIsEditable
                    item.setFlags(flags)
                    if column >= QTY_COLUMN:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                              | Qt.AlignmentFlag.AlignVCenter)
                    tip = draft_line.unavailable or f"{draft_line.name} ({draft_line.sku})"
                    item.setToolTip(plain_tooltip(tip))
                    self.table.setItem(row, column, item)
        finally:
            self._filling = False

    def _show_totals(self) -> None:
        draft = self.draft
        assert draft is not None
        totals = draft.totals(self.price_lists.tax_percent)
        tax = self.price_lists.tax_percent
        self.totals.setText(tr("Subtotal {subtotal} · Tax {tax_percent}% {tax}").format(
            subtotal=money(totals.subtotal), tax_percent=f"{tax:g}", tax=money(totals.tax)))
        self.grand_total.setText(tr("Total {total}").format(total=money(totals.total)))
        self.grand_total.setAccessibleName(self.grand_total.text())

    def _show_debt(self, debt: rules.DebtBlock | None) -> None:
        self.debt.setVisible(debt is not None)
        if debt is None:
            return
        self.debt_text.setText(line(debt.reason, 600))
        self.debt.setAccessibleName(tr("Order blocked: {reason}").format(reason=debt.reason))
        self.transfer_button.setVisible(bool(debt.transfer_to))

    def _show_problems(self, review: rules.Review) -> None:
        by_field: dict[str, list[str]] = {}
        for problem in review.problems:
            name = problem.field
            if name.startswith("lines."):
                name = "lines"
            by_field.setdefault(name, []).append(problem.message)
        for name, label in self.errors.items():
            shown = self.tried_submit or name in self._touched or name in ("lines", "total")
            if name == "lines" and not self.tried_submit and self.draft and not self.draft.lines:
                shown = False  # an empty new order is not an error yet
            messages = by_field.get(name, []) if shown else []
            label.setText("\n".join(line(m, 400) for m in messages))
            label.setVisible(bool(messages))
            widget = self.inputs.get(name)
            if widget is not None:
                widget.setProperty("invalid", bool(messages))
                widget.setAccessibleDescription(" ".join(messages))
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        if self.tried_submit and not review.can_submit:
            count = len(review.blocking)
            self.summary.setText(tr("Not sent: {n} thing(s) to fix, shown next to the fields.")
                                 .format(n=count))
        else:
            self.summary.setText("")
        self.summary.setVisible(bool(self.summary.text()))

    def _show_suggestions(self) -> None:
        draft, customer = self.draft, self.customer
        assert draft is not None and customer is not None
        current = self._current_suggestion()
        self.suggestions = suggest(self.catalogue.by_sku, customer, self.price_lists,
                                   recent_orders=self.recent_orders,
                                   usual_for_type=self.usual_for_type,
                                   exclude={x.sku for x in draft.lines},
                                   flagged=self.catalogue.flagged)
        self.suggestion_list.clear()
        offered = set(draft.offered_skus)
        for suggestion in self.suggestions:
            product = suggestion.product
            price = money(pricing.unit_price(product, customer.type, self.price_lists))
            mark = "✓ " + tr("offered") + " · " if product.sku in offered else ""
            item = QListWidgetItem(f"{mark}{isolate(line(product.name, 120))} · {price} — "
                                   f"{suggestion.reason}", self.suggestion_list)
            item.setToolTip(plain_tooltip(f"{product.name} ({product.sku})\n{suggestion.reason}"))
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{product.name}, {price}, {suggestion.reason}"
                         + (", " + tr("offered") if mark else ""))
            if current is not None and current.sku == product.sku:
                self.suggestion_list.setCurrentItem(item)
        if self.suggestion_list.currentRow() < 0 and self.suggestions:
            self.suggestion_list.setCurrentRow(0)
        fit_rows(self.suggestion_list, 5)
        made = rules.offers_made(draft)
        if draft.suggestions_dismissed_at is not None:
            text = tr("Offered {made} · prompt dismissed").format(made=made)
        else:
            text = tr("Offered {made} of {needed}").format(made=made, needed=self.offer_minimum)
        self.offer_count.setText(text)
        if self.review is not None and self.review.offers_needed == 0:
            self.offer_prompt.hide()
        elif self.offer_prompt.isVisible() and self.review is not None:
            self._offer_prompt_text(self.review.offers_needed)

    # ================================================================ submitting

    def submit(self) -> None:
        """Ctrl+Enter: the debt block, then the offer prompt, then problems; else send."""
        if self.draft is None or self.customer is None:
            return
        self.tried_submit = True
        self.refresh()
        review = self.review
        assert review is not None
        if review.debt is not None:
            if self.transfer_button.isVisible():
                self.transfer_button.setFocus()
            return
        if review.offers_needed > 0:
            self._offer_prompt_text(review.offers_needed)
            self.offer_prompt.show()
            self.suggestion_list.setFocus()
            return
        if not review.can_submit:
            self._focus_first_problem(review)
            return
        try:
            order = self.draft.to_order_create()
        except ValueError as exc:
            self.summary.setText(tr("Not sent: {reason}").format(reason=line(str(exc), 300)))
            self.summary.show()
            return
        self._autosave.stop()
        self.store.delete(self.draft.draft_id)
        self.submitted.emit(order)

    def dismiss_offer_prompt(self) -> None:
        """Escape on the offer prompt: record the dismissal in the draft."""
        if self.draft is None or not self.offer_prompt.isVisible():
            return
        self.draft.dismiss_suggestions()
        self.offer_prompt.hide()
        self._changed(redraw_lines=False)
        self.submit_button.setFocus()

    def _offer_prompt_text(self, needed: int) -> None:
        self.offer_text.setText(
            tr("Before closing, offer {n} more product(s) from the suggestions: Return adds "
               "one, Space marks it as offered.").format(n=needed))

    def _focus_first_problem(self, review: rules.Review) -> None:
        order = ["lines", *self.inputs]
        fields = {p.field.split(".")[0] if p.field.startswith("lines") else p.field
                  for p in review.blocking}
        for name in order:
            if name in fields:
                target = self.table if name == "lines" else self.inputs[name]
                if name == "lines" and not (self.draft and self.draft.lines):
                    target = self.search
                target.setFocus()
                return

    def _transfer(self) -> None:
        review = self.review
        if review is not None and review.debt is not None and review.debt.transfer_to:
            self.transfer_requested.emit(review.debt.transfer_to)

    # ================================================================ saving

    def save_now(self) -> None:
        """Save the draft through the store (the autosave timer calls this)."""
        self._autosave.stop()
        if self.draft is not None:
            self.store.save(self.draft)

    def autosave_pending(self) -> bool:
        return self._autosave.isActive()

    # ================================================================ keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keys of the search box, the lines, the suggestions, and Ctrl+Enter anywhere."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            return True
        if watched is self.search and self.results.isVisible():
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                QCoreApplication.sendEvent(self.results, QKeyEvent(event))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._add_result(self.results.currentItem())
                return True
        if watched is self.table and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) \
                and self.table.state() != QAbstractItemView.State.EditingState:
            self.remove_selected_line()
            return True
        if watched is self.suggestion_list:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Insert):
                self.add_suggestion()
                return True
            if key == Qt.Key.Key_Space:
                self.mark_offered()
                return True
        return super().eventFilter(watched, event)

    def problems(self) -> Mapping[str, str]:
        """The problems shown next to fields now (field -> text), for tests and tools."""
        return {name: label.text() for name, label in self.errors.items()
                if not label.isHidden()}
