"""The quick form for a first-time caller: a ``CustomerLead`` for the head of department.

Name is required; the phone is prefilled with the caller's number (empty when it was
withheld) and must be a real phone number when given; the email must look like one.
Problems are shown next to their field as the agent leaves it, and all at once on
save. Ctrl+Enter saves (``lead_ready(CustomerLead)``), Escape cancels (``cancelled``).
Everything here runs on the GUI thread.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.crm.schema import CustomerLead
from softphone.gui.keyed import keyed_button
from softphone.numbers import to_e164

SAVE_KEY = "Ctrl+Return"
CANCEL_KEY = "Escape"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Field -> longest text the CRM takes.
LIMITS = {"name": 200, "company": 200, "phone": 64, "email": 200, "region": 200,
          "delivery_address": 4000, "notes": 4000}


def tr(text: str) -> str:
    return QCoreApplication.translate("NewCustomer", text)


def lead_problems(values: dict[str, str], default_region: str) -> dict[str, str]:
    """Field -> what is wrong with it, in plain words (empty when all is well)."""
    problems: dict[str, str] = {}
    if not values.get("name", "").strip():
        problems["name"] = tr("Enter the caller's name.")
    phone = values.get("phone", "").strip()
    if phone and to_e164(phone, default_region) is None:
        problems["phone"] = tr("This is not a phone number (use digits, spaces, + and -).")
    email = values.get("email", "").strip()
    if email and not _EMAIL.match(email):
        problems["email"] = tr("This does not look like an email address.")
    for field, limit in LIMITS.items():
        if len(values.get(field, "")) > limit and field not in problems:
            problems[field] = tr("At most {n} characters.").format(n=limit)
    return problems


def make_lead(values: dict[str, str], default_region: str, *, call_id: str = "",
              agent: str = "") -> CustomerLead:
    """The lead for valid ``values`` (check ``lead_problems`` first)."""
    phone = values.get("phone", "").strip()
    e164 = to_e164(phone, default_region) if phone else None
    return CustomerLead(
        name=values["name"].strip(),
        company=values.get("company", "").strip(),
        phones=[e164] if e164 else [],
        email=values.get("email", "").strip(),
        region=values.get("region", "").strip(),
        delivery_address=values.get("delivery_address", "").strip(),
        notes=values.get("notes", "").strip(),
        call_id=call_id[:128],
        agent=agent[:200],
    )


class NewCustomerForm(QWidget):
    """Record an unknown caller (see the module docstring). GUI thread."""

    lead_ready = Signal(object)  # CustomerLead
    cancelled = Signal()

    def __init__(self, default_region: str = "US", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newCustomerForm")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.default_region = default_region
        self.call_id = ""
        self.agent = ""
        self.inputs: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._touched: set[str] = set()
        self._build()

    def _build(self) -> None:
        title = QLabel(tr("New customer"), self)
        title.setObjectName("formTitle")
        intro = QLabel(tr("Recorded for the head of department, who assigns a manager."), self)
        intro.setObjectName("fieldHelp")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(4)
        rows = (("name", tr("&Name *"), False), ("company", tr("&Company"), False),
                ("phone", tr("&Phone"), False), ("email", tr("&Email"), False),
                ("region", tr("&Region"), False),
                ("delivery_address", tr("&Delivery address"), True),
                ("notes", tr("N&otes"), True))
        for name, label, multi in rows:
            widget: QLineEdit | QPlainTextEdit
            if multi:
                widget = QPlainTextEdit(self)
                widget.setTabChangesFocus(True)
                widget.setFixedHeight(self.fontMetrics().height() * 3 + 14)
            else:
                widget = QLineEdit(self)
                widget.setMaxLength(LIMITS[name] + 1)  # one more, so "too long" can show
                widget.editingFinished.connect(lambda n=name: self._touch(n))
            widget.setObjectName(f"lead_{name}")
            widget.setAccessibleName(label.replace("&", "").rstrip(" *"))
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, widget.sizePolicy().verticalPolicy())
            widget.installEventFilter(self)
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            error = QLabel("", self)
            error.setObjectName("inlineError")
            error.setTextFormat(Qt.TextFormat.PlainText)
            error.setWordWrap(True)
            error.hide()
            column = QVBoxLayout()
            column.setSpacing(1)
            column.addWidget(widget)
            column.addWidget(error)
            form.addRow(caption, column)
            self.inputs[name] = widget
            self.errors[name] = error
        email = self.inputs["email"]
        if isinstance(email, QLineEdit):
            email.setPlaceholderText("name@example.com")
        self.save_button = keyed_button(tr("Save new customer"), SAVE_KEY,
                                        tr("Queue the new customer for the head of department"),
                                        self, "leadSave")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = keyed_button(tr("Cancel"), "", tr("Close the form without saving"),
                                          self, "leadCancel")
        self.cancel_button.setText(tr("Cancel (Esc)"))
        self.cancel_button.clicked.connect(self.cancelled.emit)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.save,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(CANCEL_KEY), self, self.cancelled.emit,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # ---------------------------------------------------------------- API

    def start(self, number: str = "", *, call_id: str = "", agent: str = "") -> None:
        """A fresh form for the caller on ``number`` (empty when withheld)."""
        self.call_id, self.agent = call_id, agent
        self._touched.clear()
        for name, widget in self.inputs.items():
            if isinstance(widget, QLineEdit):
                widget.setText(number if name == "phone" else "")
            else:
                widget.setPlainText("")
            self._show_error(name, "")
        self.inputs["name"].setFocus()

    def values(self) -> dict[str, str]:
        return {name: widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
                for name, widget in self.inputs.items()}

    def set_value(self, name: str, text: str) -> None:
        widget = self.inputs[name]
        if isinstance(widget, QLineEdit):
            widget.setText(text)
        else:
            widget.setPlainText(text)

    def error(self, name: str) -> str:
        return self.errors[name].text() if not self.errors[name].isHidden() else ""

    def save(self) -> None:
        """Check every field: emit ``lead_ready`` if all are fine, else focus the first problem."""
        values = self.values()
        problems = lead_problems(values, self.default_region)
        self._touched.update(self.inputs)
        if not problems:
            try:
                lead = make_lead(values, self.default_region, call_id=self.call_id,
                                 agent=self.agent)
            except ValidationError as exc:
                problems = {str(err["loc"][0]): err["msg"] for err in exc.errors()
                            if err["loc"]}
            else:
                self._refresh({})
                self.lead_ready.emit(lead)
                return
        self._refresh(problems)
        first = next(name for name in self.inputs if name in problems)
        self.inputs[first].setFocus()

    # ---------------------------------------------------------------- inline checks

    def _touch(self, name: str) -> None:
        self._touched.add(name)
        self._refresh(lead_problems(self.values(), self.default_region))

    def _refresh(self, problems: dict[str, str]) -> None:
        for name in self.inputs:
            self._show_error(name, problems.get(name, "") if name in self._touched else "")

    def _show_error(self, name: str, text: str) -> None:
        label = self.errors[name]
        label.setText(text)
        label.setVisible(bool(text))
        widget = self.inputs[name]
        widget.setProperty("invalid", bool(text))
        widget.setAccessibleDescription(text)
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Enter saves from any field; leaving a multi-line field checks it too."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.save()
            return True
        if event.type() == QEvent.Type.FocusOut and isinstance(watched, QPlainTextEdit):
            for name, widget in self.inputs.items():
                if widget is watched:
                    self._touch(name)
        return super().eventFilter(watched, event)
