"""Registration state in plain words, the indicator that shows it, and the status-bar
notice about audio devices that were unplugged or came back, or a microphone that is
silent or too loud in the first seconds of a call.

Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from softphone import protocol
from softphone.gui.bridge import PhoneBridge
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


# --------------------------------------------------------------------------- audio devices

_ROLE_WORDS = {"microphone": "Microphone", "speaker": "Headset", "ringer": "Ringer"}
NOTICE_SECONDS = 10


_MIC_WORDS = {
    "silent": "Microphone silent — the caller may not hear you",
    "clipping": "Microphone too loud — the caller hears you distorted",
    "too_quiet": "Microphone very quiet",
    "ok": "Microphone works again",
}


def describe_microphone(event: protocol.MicrophoneCheck) -> str:
    """A short status-bar line for the in-call microphone check."""
    return tr(_MIC_WORDS[event.verdict])


def describe_switch(event: protocol.AudioDeviceSwitched) -> str:
    """A short status-bar line, e.g. "Headset unplugged — using Laptop speakers"."""
    role = tr(_ROLE_WORDS[event.role])
    if event.reason == "returned":
        return tr("{role} plugged back in — using {device}").format(
            role=role, device=event.current)
    what = tr("unplugged") if event.reason == "unplugged" else tr("not connected")
    if not event.current:
        return tr("{role} {what} — none available").format(role=role, what=what)
    return tr("{role} {what} — using {device}").format(role=role, what=what,
                                                       device=event.current)


class AudioDeviceNotice(QLabel):
    """Status-bar notice about the audio devices the engine moved the sound to, and about
    the microphone in the first seconds of a call.

    While a chosen device is missing, it says which one is used instead, and stays; when
    the devices are back to the agent's choice, the last news shows for
    ``NOTICE_SECONDS`` and the notice hides. A silent or clipping microphone is said
    until the engine reports it sounds right again (then "works again" shows for
    ``NOTICE_SECONDS``) or its call ends. The engine's full sentence is the tooltip.
    """

    def __init__(self, bridge: PhoneBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioDeviceNotice")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName(tr("Audio devices"))
        self.fallback = False
        self.microphone_call = ""  # the call whose microphone warning is shown
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self._expire)
        self.hide()
        bridge.any_event.connect(self._on_event)
        bridge.devices_changed.connect(self.show_devices)
        self.show_devices(bridge.phone.snapshot().devices)

    def _on_event(self, event: object) -> None:
        if isinstance(event, protocol.AudioDeviceSwitched):
            self.show_switch(event)
        elif isinstance(event, protocol.MicrophoneCheck):
            self.show_microphone(event)
        elif (isinstance(event, protocol.CallStateChanged) and event.state == "disconnected"
              and event.call_id == self.microphone_call):
            self.microphone_call = ""
            if not self._hide_timer.isActive():
                self._expire()

    def show_switch(self, event: protocol.AudioDeviceSwitched) -> None:
        self.microphone_call = ""
        self._show(describe_switch(event), event.message,
                   "ok" if event.reason == "returned" else "warning")
        self._hide_timer.start(int(NOTICE_SECONDS * 1000))

    def show_microphone(self, event: protocol.MicrophoneCheck) -> None:
        """A warning stays while it holds; "ok" shows only after a warning."""
        if event.verdict == "ok":
            if self.microphone_call != event.call_id:
                return  # nothing was said about this call: nothing to take back
            self.microphone_call = ""
            self._show(describe_microphone(event), event.message, "ok")
            self._hide_timer.start(int(NOTICE_SECONDS * 1000))
            return
        self.microphone_call = event.call_id
        self._hide_timer.stop()
        self._show(describe_microphone(event), event.message, "warning")

    def _show(self, text: str, tooltip: str, level: str) -> None:
        self.setText(text)
        self.setToolTip(tooltip)
        self.setAccessibleDescription(tooltip)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def show_devices(self, event: protocol.DevicesChanged) -> None:
        self.fallback = event.fallback
        if event.fallback:
            self._hide_timer.stop()  # stays while a fallback is in use
            if not self.isVisible() and event.warnings:
                self.setText(event.warnings[0])
                self.setToolTip("\n".join(event.warnings))
                self.show()
        elif (self.isVisible() and not self._hide_timer.isActive()
              and not self.microphone_call):
            self._hide_timer.start(int(NOTICE_SECONDS * 1000))

    def _expire(self) -> None:
        if not self.fallback and not self.microphone_call:
            self.hide()


def add_audio_notice(bridge: PhoneBridge, status_bar: QStatusBar) -> AudioDeviceNotice:
    """Put the audio-device notice in ``status_bar`` (a permanent widget, so temporary
    status messages never hide it)."""
    notice = AudioDeviceNotice(bridge, status_bar)
    status_bar.addPermanentWidget(notice)
    return notice
