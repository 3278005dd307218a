"""The whole app's windows on a profile of their own, for tests and screenshots.

``app_context`` makes a real ``AppContext`` with some settings; ``softphone_gui`` runs
``SoftphoneGui`` over it and shuts it down at the end, even when the test fails;
``start_desk`` starts the CRM sync and the desk without the phone engine. GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtWidgets import QApplication

from softphone.context import AppContext
from softphone.gui.application import PasswordPrompter, SoftphoneGui
from softphone.paths import Profile


def app_context(profile_dir: Path, settings: Mapping[str, object]) -> AppContext:
    context = AppContext.create(Profile.from_dir(profile_dir))
    for name, value in settings.items():
        context.settings.set(name, value)
    return context


@contextmanager
def softphone_gui(context: AppContext, app: QApplication | None = None
                  ) -> Iterator[SoftphoneGui]:
    """``SoftphoneGui`` on ``context`` (in ``app``, else the running application)."""
    application = app or QApplication.instance()
    assert isinstance(application, QApplication)
    gui = SoftphoneGui(application, context, PasswordPrompter())
    try:
        yield gui
    finally:
        gui.shutdown()


def start_desk(gui: SoftphoneGui) -> None:
    """The CRM sync, the desk and the main window, without the phone engine."""
    assert gui.context.sync is not None and gui.desk is not None
    gui.context.sync.start()
    gui.desk.start()
    gui.window.show()
