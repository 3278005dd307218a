"""Small reusable widgets: action buttons, banners, the level meter and the keypad.

Everything here runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

DTMF_KEYS = "123456789*0#"


class ActionButton(QPushButton):
    """A big push button that mirrors a QAction (text with mnemonic, icon, state).

    Unlike QToolButton it keeps the Alt+letter mnemonic of the action's text.
    """

    def __init__(self, action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = action
        self.setObjectName(f"button_{action.objectName().removeprefix('action_')}")
        self.setIconSize(QSize(22, 22))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clicked.connect(self._clicked)
        action.changed.connect(self._sync)
        self._sync()

    def _clicked(self) -> None:
        self.action.trigger()
        self._sync()

    def _sync(self) -> None:
        action = self.action
        self.setText(action.text())
        self.setIcon(action.icon())
        self.setToolTip(action.toolTip())
        self.setEnabled(action.isEnabled())
        self.setCheckable(action.isCheckable())
        self.setChecked(action.isChecked())
        self.setAccessibleName(action.text().replace("&", ""))


class Banner(QFrame):
    """One message strip (plain text) with a dismiss button and an optional action."""

    dismissed = Signal()

    def __init__(self, text: str, level: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("level", level)
        self.label = QLabel(text, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setAccessibleName(self.tr("Dismiss"))
        close.setToolTip(self.tr("Dismiss this message"))
        close.clicked.connect(self.dismissed.emit)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self._layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    def text(self) -> str:
        return self.label.text()

    def add_button(self, text: str, callback: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName("bannerAction")
        button.clicked.connect(callback)
        self._layout.insertWidget(1, button, 0, Qt.AlignmentFlag.AlignVCenter)
        return button


class BannerArea(QWidget):
    """A stack of banners, one per key: showing a key again replaces its banner.

    Banners are never modal; a timeout hides one by itself.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._banners: dict[str, Banner] = {}
        self._timers: dict[str, QTimer] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.setVisible(False)

    def show_banner(
        self,
        key: str,
        text: str,
        level: str = "info",
        timeout_ms: int = 0,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> Banner:
        """Show ``text`` (plain) under ``key``; level is info, warning or error."""
        self.dismiss(key)
        banner = Banner(text, level, self)
        banner.dismissed.connect(lambda: self.dismiss(key))
        if action is not None:
            banner.add_button(*action)
        self._banners[key] = banner
        layout = self.layout()
        assert layout is not None
        layout.addWidget(banner)
        if timeout_ms > 0:
            self._start_timer(key, timeout_ms)
        self.setVisible(True)
        return banner

    def dismiss(self, key: str) -> None:
        banner = self._banners.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.stop()
        if banner is not None:
            banner.hide()
            banner.deleteLater()
        self.setVisible(bool(self._banners))

    def banner(self, key: str) -> Banner | None:
        return self._banners.get(key)

    def texts(self) -> list[str]:
        return [banner.text() for banner in self._banners.values()]

    def _start_timer(self, key: str, timeout_ms: int) -> None:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self.dismiss(key))
        timer.start(timeout_ms)
        self._timers[key] = timer


class LevelMeter(QWidget):
    """A labelled horizontal meter for a 0.0..1.0 audio peak level."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title, self)
        self.title.setObjectName("meterTitle")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("levelMeter")
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(10)
        self.bar.setAccessibleName(title)
        self.note = QLabel("", self)
        self.note.setObjectName("meterNote")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.note)

    def set_level(self, level: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, level)) * 100))

    def level(self) -> int:
        return self.bar.value()

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.bar.setProperty("muted", bool(text))
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)


class DialPad(QFrame):
    """A 4x3 keypad. Clicking a key, or typing 0-9 * # while it has focus, emits ``pressed``.

    The keys themselves take no focus, so Tab visits the pad once, not twelve times.
    """

    pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dialPad")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Keypad"))
        self.setToolTip(self.tr("Click a key, or type 0-9, * and # while the keypad has focus"))
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(6)
        for index, key in enumerate(DTMF_KEYS):
            button = QPushButton(key, self)
            button.setObjectName("dialKey")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, k=key: self.pressed.emit(k))
            grid.addWidget(button, index // 3, index % 3)
            self.buttons[key] = button

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.text()
        if key and key in DTMF_KEYS:
            button = self.buttons[key]
            button.setDown(True)
            QTimer.singleShot(120, button, lambda: button.setDown(False))
            self.pressed.emit(key)
            return
        super().keyPressEvent(event)
