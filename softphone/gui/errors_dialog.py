"""The dialog for bugs: what happened in plain words, and details to copy for support.

Also ``install_excepthook``: uncaught exceptions on the GUI thread are logged and shown
here instead of killing the app. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt, QThread, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone import __version__
from softphone.logs import scrub

log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


class ErrorDialog(QDialog):
    """Shows a bug: a calm sentence, the details (scrubbed of secrets) and "Copy details"."""

    def __init__(self, message: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(self.tr("Softphone — something went wrong"))
        intro = QLabel(self.tr(
            "The softphone ran into a problem it did not expect. Your calls carry on if "
            "they can. Please copy the details below and send them to support."
        ), self)
        intro.setWordWrap(True)
        self.message = QLabel(message, self)
        self.message.setObjectName("errorMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlainText(self._full_details(message, details))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self.tr("&Copy details"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(640, 420)

    @staticmethod
    def _full_details(message: str, details: str) -> str:
        return scrub(f"Softphone {__version__}\n{message}\n\n{details}".rstrip() + "\n")

    def add(self, message: str, details: str) -> None:
        """Append another error to an open dialog instead of opening a second one."""
        self.details.appendPlainText("\n" + "-" * 60 + "\n" + scrub(f"{message}\n\n{details}"))

    def copy_details(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.details.toPlainText())
        self.copy_button.setText(self.tr("Copied"))


class ErrorReporter:
    """Opens one ErrorDialog at a time (later errors are appended to it)."""

    def __init__(self, parent_provider: Callable[[], QWidget | None]) -> None:
        self._parent_provider = parent_provider
        self.dialog: ErrorDialog | None = None

    def report(self, message: str, details: str) -> ErrorDialog:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add(message, details)
            return self.dialog
        self.dialog = ErrorDialog(message, details, self._parent_provider())
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


def install_excepthook(reporter: ErrorReporter) -> ExceptHook:
    """Route uncaught exceptions to the log and ``reporter``; returns the previous hook."""
    previous = sys.excepthook

    def hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("Uncaught exception", exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        message = f"{exc_type.__name__}: {exc}"
        _show_on_gui_thread(lambda: reporter.report(message, details), previous,
                            (exc_type, exc, tb))

    sys.excepthook = hook
    return previous


def _show_on_gui_thread(
    show: Callable[[], object],
    fallback: ExceptHook,
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> None:
    app = QApplication.instance()
    if app is None:
        fallback(*exc_info)
        return
    try:
        if QThread.currentThread() is app.thread():
            show()
        else:
            QTimer.singleShot(0, app, show)
    except Exception:
        log.exception("Could not show the error dialog")
        fallback(*exc_info)
