"""The system tray icon: its picture and tooltip say registered / offline / ringing / on call.

Menu: Show, Answer, Hang up, Quit. Where the desktop has no tray (some Linux desktops,
the offscreen platform) no icon is created, ``available`` is False, and the application
keeps quitting when the main window closes. The state is still computed, for tests.
Everything here runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from softphone import protocol
from softphone.gui import resources
from softphone.gui.actions import CallActions, ringing_calls
from softphone.gui.bridge import PhoneBridge
from softphone.gui.status import describe_registration
from softphone.phone import Phone, PhoneState

TRAY_STATES = ("registered", "offline", "ringing", "in-call")


def tr(text: str) -> str:
    return QCoreApplication.translate("Tray", text)


def tray_state(state: PhoneState) -> str:
    """ringing beats in-call beats registered beats offline."""
    if ringing_calls(state):
        return "ringing"
    if state.calls:
        return "in-call"
    return "registered" if state.registration.state == "registered" else "offline"


def tray_tooltip(state: PhoneState) -> str:
    # No remote text here: some desktops render tray tooltips as markup.
    if ringing_calls(state):
        return tr("Softphone — incoming call")
    if state.calls:
        count = len(state.calls)
        return tr("Softphone — on a call") if count == 1 else tr(
            "Softphone — {count} calls").format(count=count)
    return f"Softphone — {describe_registration(state.registration)}"


class TrayController(QObject):
    """Owns the tray icon (when there is a tray) and its menu."""

    def __init__(
        self,
        phone: Phone,
        bridge: PhoneBridge,
        actions: CallActions,
        *,
        show_window: Callable[[], None],
        quit_app: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.phone = phone
        self.call_actions = actions
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.state = "offline"
        self.tooltip = ""
        self.menu = QMenu()
        self.show_action = self._add(tr("&Show Softphone"), show_window)
        self.answer_action = self._add(tr("&Answer"), self.call_actions.answer)
        self.hangup_action = self._add(tr("&Hang up"), self.call_actions.hangup)
        self.menu.addSeparator()
        self.quit_action = self._add(tr("&Quit"), quit_app)
        self.icon: QSystemTrayIcon | None = None
        if self.available:
            self.icon = QSystemTrayIcon(resources.icon("tray-offline"), self)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(lambda reason: self._activated(reason, show_window))
            self.icon.show()
        bridge.any_event.connect(self._on_event)
        self.refresh()

    def _add(self, text: str, slot: Callable[[], object]) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(lambda _=False: slot())
        return action

    @staticmethod
    def _activated(reason: QSystemTrayIcon.ActivationReason, show: Callable[[], None]) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            show()

    def _on_event(self, event: object) -> None:
        if not isinstance(event, protocol.AudioLevels | protocol.StreamStats):
            self.refresh()

    def refresh(self) -> None:
        snapshot = self.phone.snapshot()
        self.state = tray_state(snapshot)
        self.tooltip = tray_tooltip(snapshot)
        self.answer_action.setEnabled(bool(ringing_calls(snapshot)))
        self.hangup_action.setEnabled(bool(snapshot.calls))
        if self.icon is not None:
            self.icon.setIcon(resources.icon(f"tray-{self.state}"))
            self.icon.setToolTip(self.tooltip)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
