"""The bridge's threading, the application's helpers, resources and the error hook."""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui import resources
from softphone.gui.application import PasswordPrompter, show_and_raise
from softphone.gui.bridge import PhoneBridge
from softphone.gui.errors_dialog import ErrorReporter, install_excepthook
from softphone.gui.shortcuts import ACTIONS, ShortcutsDialog, native_keys
from tests.gui.harness import PhoneHarness


def test_events_from_an_engine_thread_arrive_on_the_gui_thread(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    seen: list[tuple[object, bool]] = []

    def record(event: object) -> None:
        seen.append((event, QThread.currentThread() is QApplication.instance().thread()))  # type: ignore[union-attr]

    bridge.registration_changed.connect(record)
    event = protocol.RegistrationChanged("registered", "", 200)
    reader = threading.Thread(target=harness.phone._handle_engine_event, args=(event,))
    reader.start()
    reader.join()
    qtbot.waitUntil(lambda: len(seen) == 1)
    assert seen == [(event, True)]


def test_password_prompt_never_opens_a_dialog_off_the_gui_thread() -> None:
    prompter = PasswordPrompter()
    answers: list[str | None] = []
    worker = threading.Thread(target=lambda: answers.append(prompter("reason")))
    worker.start()
    worker.join()
    assert answers == [None]


def test_show_and_raise_shows_a_hidden_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    show_and_raise(window)
    assert window.isVisible()


def test_every_icon_exists_and_the_stylesheet_points_at_them() -> None:
    for name in resources.ICON_NAMES:
        assert resources.icon_path(name).is_file(), name
        assert not resources.icon(name).isNull(), name
    style = resources.stylesheet()
    assert "@ICONS@" not in style
    assert (resources.resources_dir() / "icons").as_posix() in style


def test_uncaught_exception_is_logged_and_shown_with_copyable_details(qtbot: QtBot) -> None:
    reporter = ErrorReporter(lambda: None)
    previous = install_excepthook(reporter)
    try:
        try:
            raise ValueError("token=abc password=hunter2 went wrong")
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        sys.excepthook = previous
    dialog = reporter.dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    details = dialog.details.toPlainText()
    assert "ValueError" in details and "hunter2" not in details
    dialog.copy_details()
    assert QApplication.clipboard().text() == details


def test_shortcuts_dialog_lists_every_shortcut(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    keys = {dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())}
    for spec in ACTIONS:
        if spec.shortcut:
            assert native_keys(spec.shortcut) in keys, spec.name
