"""Small always-on-top windows for ringing calls, one per call.

``IncomingCallManager`` opens an ``IncomingCallWindow`` on ``IncomingCall`` and closes it
when the call is answered, declined, ends, or the engine crashes. The window shows up
without taking the keyboard from whatever the agent is typing in; once clicked,
Alt+A / Ctrl+Shift+A answer and Alt+D / Ctrl+Shift+D decline. There is no default
button, so a stray Return never answers or declines. Closing a window by its title bar
only closes the window: the call keeps ringing in the main window. All remote text is
plain (see ``text``). Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from softphone import protocol
from softphone.gui import resources
from softphone.gui.actions import RINGING_STATES, CallActions
from softphone.gui.bridge import PhoneBridge
from softphone.gui.shortcuts import SPECS, native_keys
from softphone.gui.text import ElidedLabel
from softphone.phone import CallEnded, EngineCrashed

WINDOW_WIDTH = 340
SCREEN_MARGIN = 16


def tr(text: str) -> str:
    return QCoreApplication.translate("IncomingCall", text)


class IncomingCallWindow(QWidget):
    """Who is calling, with Answer and Decline for that one call."""

    def __init__(self, event: protocol.IncomingCall, actions: CallActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.call_id = event.call_id
        self.call_actions = actions
        self.setObjectName("incomingWindow")
        self.setWindowTitle(tr("Incoming call"))
        self.setWindowIcon(resources.icon("tray-ringing"))
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._build(event.remote)
        self.setFixedWidth(WINDOW_WIDTH)

    def _build(self, remote: protocol.RemoteParty) -> None:
        caption = QLabel(tr("Incoming call"), self)
        caption.setObjectName("incomingCaption")
        self.name_label = ElidedLabel(remote.display_name or remote.number or tr("Unknown caller"),
                                      self)
        self.name_label.setObjectName("incomingName")
        self.number_label = ElidedLabel(remote.number or remote.uri, self)
        self.number_label.setObjectName("incomingNumber")
        self.number_label.setVisible(bool(remote.display_name and (remote.number or remote.uri)))
        self.answer_button = self._button("answer", tr("&Answer"), self.answer)
        self.decline_button = self._button("decline", tr("&Decline"), self.decline)
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.decline_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.addWidget(caption)
        layout.addWidget(self.name_label)
        layout.addWidget(self.number_label)
        layout.addSpacing(6)
        layout.addLayout(buttons)

    def _button(self, name: str, text: str, slot: object) -> QPushButton:
        spec = SPECS[name]
        button = QPushButton(resources.icon(spec.icon), text, self)
        button.setObjectName(f"button_{name}")
        button.setAutoDefault(False)
        button.setToolTip(f"{tr(spec.help)} ({native_keys(spec.shortcut)})")
        button.clicked.connect(slot)
        shortcut = QShortcut(QKeySequence(spec.shortcut), self)
        shortcut.activated.connect(slot)
        return button

    def answer(self) -> None:
        self.call_actions.answer(self.call_id)
        self.close()

    def decline(self) -> None:
        self.call_actions.decline(self.call_id)
        self.close()


class IncomingCallManager(QObject):
    """Keeps one IncomingCallWindow per ringing call, stacked above the screen corner."""

    def __init__(self, bridge: PhoneBridge, actions: CallActions,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.call_actions = actions
        self.windows: dict[str, IncomingCallWindow] = {}
        bridge.incoming_call.connect(self.call_ringing)
        bridge.call_state_changed.connect(self._state_changed)
        bridge.call_ended.connect(self._call_ended)
        bridge.engine_crashed.connect(self._engine_crashed)

    def call_ringing(self, event: protocol.IncomingCall) -> None:
        if event.call_id in self.windows:
            return
        window = IncomingCallWindow(event, self.call_actions)
        window.destroyed.connect(lambda _=None, cid=event.call_id: self._forget(cid))
        self.windows[event.call_id] = window
        window.adjustSize()
        window.move(self._position(len(self.windows) - 1, window.height()))
        window.show()
        window.raise_()

    def close_call(self, call_id: str) -> None:
        window = self.windows.pop(call_id, None)
        if window is not None:
            window.close()

    def _forget(self, call_id: str) -> None:
        self.windows.pop(call_id, None)

    def _state_changed(self, event: protocol.CallStateChanged) -> None:
        if event.state not in RINGING_STATES:
            self.close_call(event.call_id)

    def _call_ended(self, event: CallEnded) -> None:
        self.close_call(event.entry.call_id)

    def _engine_crashed(self, _event: EngineCrashed) -> None:
        for call_id in list(self.windows):
            self.close_call(call_id)

    @staticmethod
    def _position(index: int, height: int) -> QPoint:
        screen = QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        x = area.right() - WINDOW_WIDTH - SCREEN_MARGIN
        y = area.bottom() - (height + SCREEN_MARGIN) * (index + 1)
        return QPoint(max(area.left(), x), max(area.top(), y))
