"""Registration state in plain words, and the indicator that shows it.

Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from softphone import protocol
from softphone.gui.text import ElidedLabel

#: SIP status codes and what to tell the agent when the engine gave no words.
_CODE_WORDS = {
    401: "authentication failed",
    403: "authentication failed",
    407: "authentication failed",
    404: "unknown account",
    408: "server unreachable",
    480: "server unavailable",
    503: "server unreachable",
}


def tr(text: str) -> str:
    return QCoreApplication.translate("Registration", text)


def failure_reason(event: protocol.RegistrationChanged) -> str:
    """Why registration failed, in plain words."""
    reason = event.reason.strip()
    if reason:
        return reason
    return tr(_CODE_WORDS.get(event.code, "unknown reason"))


def describe_registration(event: protocol.RegistrationChanged) -> str:
    """One short sentence for the indicator, e.g. "Not registered: authentication failed"."""
    if event.state == "registered":
        return tr("Registered")
    if event.state == "registering":
        reason = event.reason.strip()
        return tr("Registering…") + (f" ({reason})" if reason else "")
    if event.state == "failed":
        return tr("Not registered: {reason}").format(reason=failure_reason(event))
    reason = event.reason.strip()
    if reason == "not configured":
        return tr("Not set up")
    return tr("Not registered") + (f": {reason}" if reason else "")


def registration_level(event: protocol.RegistrationChanged) -> str:
    """Style key for the dot: ok, busy, error or off."""
    return {"registered": "ok", "registering": "busy", "failed": "error"}.get(event.state, "off")


class RegistrationIndicator(QWidget):
    """A coloured dot, the state in words, and the account it is about."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registrationIndicator")
        self.dot = QLabel("●", self)
        self.dot.setObjectName("registrationDot")
        self.dot.setAccessibleName(tr("Registration state"))
        self.label = ElidedLabel("", self)
        self.label.setObjectName("registrationText")
        self.account = ElidedLabel("", self)
        self.account.setObjectName("registrationAccount")
        self.account.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.dot)
        layout.addWidget(self.label, 3)
        layout.addWidget(self.account, 2)
        self.show_state(protocol.RegistrationChanged("unregistered", "not configured"), "")

    def show_state(self, event: protocol.RegistrationChanged, account: str) -> None:
        text = describe_registration(event)
        self.label.setText(text)
        self.account.setText(account)
        self.account.setVisible(bool(account))
        self.dot.setToolTip(text)
        self.dot.setProperty("level", registration_level(event))
        self.dot.style().unpolish(self.dot)
        self.dot.style().polish(self.dot)

    def text(self) -> str:
        return self.label.text()
