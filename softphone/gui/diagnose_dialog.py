"""The pre-shift check dialog (Help → Pre-shift check…) and the support bundle.

The checks and the bundle run on worker threads (never the GUI thread); their results
come back through ``_Relay``'s signals, queued to the GUI thread, and each check's line is
shown as soon as it finishes. Text is plain: nothing a server or a setting says is read
as markup. Everything else here runs on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.context import AppContext
from softphone.diagnose import Check, CheckResult, format_report, run_checks, summary
from softphone.diagnose.checks import Environment, all_checks
from softphone.support_bundle import create_bundle, default_output

ChecksFactory = Callable[[], Sequence[Check]]
BundleMaker = Callable[[Path, Sequence[CheckResult] | None], Path]


def tr(text: str) -> str:
    return QCoreApplication.translate("DiagnoseDialog", text)


class _Relay(QObject):
    """Carries worker-thread news to the GUI thread (queued signal connections)."""

    result = Signal(object)  # CheckResult
    finished = Signal(object)  # list[CheckResult]
    bundle_saved = Signal(object)  # Path
    bundle_failed = Signal(str)


class DiagnoseDialog(QDialog):
    """Runs the pre-shift check when shown; "Copy report" and "Create support bundle…"."""

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        *,
        checks: ChecksFactory | None = None,
        make_bundle: BundleMaker | None = None,
        ask_path: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("diagnoseDialog")
        self.setWindowTitle(tr("Pre-shift check"))
        self._checks = checks or self._default_checks
        self._make_bundle = make_bundle or self._default_bundle
        self._ask_path = ask_path or self._ask_bundle_path
        self.results: list[CheckResult] = []
        self.running = False
        self.bundling = False
        self._stop = threading.Event()
        self._relay = _Relay()
        self._relay.result.connect(self._show_result)
        self._relay.finished.connect(self._finished)
        self._relay.bundle_saved.connect(self._bundle_saved)
        self._relay.bundle_failed.connect(self._bundle_failed)
        self._items: dict[str, QListWidgetItem] = {}
        self._bundle_after_run: Path | None = None
        self._build()
        self.resize(640, 420)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Checks the settings, keyring, headset and microphone, the SIP "
                          "server and registration, the CRM and this computer's disk."))
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("diagnoseResults")
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.list, 1)
        self.summary = QLabel()
        self.summary.setObjectName("diagnoseSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.bundle_label = QLabel()
        self.bundle_label.setObjectName("bundleLocation")
        self.bundle_label.setTextFormat(Qt.TextFormat.PlainText)
        self.bundle_label.setWordWrap(True)
        self.bundle_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.bundle_label)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("Run again"))
        self.copy_button = QPushButton(tr("Copy report"))
        self.bundle_button = QPushButton(tr("Create support bundle…"))
        close = QPushButton(tr("Close"))
        self.run_button.clicked.connect(self.start)
        self.copy_button.clicked.connect(self.copy_report)
        self.bundle_button.clicked.connect(self.create_bundle)
        close.clicked.connect(self.reject)
        for button in (self.run_button, self.copy_button, self.bundle_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ checks

    def _default_checks(self) -> Sequence[Check]:
        """Worker thread: the real checks, the app's own state read directly."""
        context = self.context
        env = Environment(context.profile, context.settings, context.secrets,
                          app_status=context.status)
        return all_checks(env)

    def start(self) -> None:
        """Run every check on a worker thread; lines appear as they finish."""
        if self.running:
            return
        self.running = True
        self.results = []
        self._stop.clear()
        self.list.clear()
        self._items.clear()
        self.summary.setText(tr("Checking…"))
        self._refresh_buttons()
        checks = list(self._checks())
        for check in checks:
            item = QListWidgetItem(f"…  {check.title}: {tr('checking')}")
            self.list.addItem(item)
            self._items[check.name] = item
        relay, stop = self._relay, self._stop

        def work() -> None:
            results = run_checks(checks, relay.result.emit, stop.is_set)
            relay.finished.emit(results)

        threading.Thread(target=work, name="diagnose", daemon=True).start()

    def _show_result(self, result: CheckResult) -> None:
        item = self._items.get(result.name)
        if item is not None:
            item.setText(result.line())
            item.setToolTip(result.message)

    def _finished(self, results: list[CheckResult]) -> None:
        self.running = False
        self.results = list(results)
        for result in results:
            self._show_result(result)
        self.summary.setText(summary(results))
        self._refresh_buttons()
        if self._bundle_after_run is not None:
            path, self._bundle_after_run = self._bundle_after_run, None
            self._write_bundle(path)

    def _refresh_buttons(self) -> None:
        self.run_button.setEnabled(not self.running)
        self.copy_button.setEnabled(bool(self.results) and not self.running)
        self.bundle_button.setEnabled(not self.bundling)

    def report_text(self) -> str:
        return format_report(self.results)

    def copy_report(self) -> None:
        if self.results:
            QGuiApplication.clipboard().setText(self.report_text())
            self.summary.setText(summary(self.results) + " " + tr("Report copied."))

    # ------------------------------------------------------------------ bundle

    def _ask_bundle_path(self) -> str:
        suggested = str(Path.home() / default_output().name)
        path, _filter = QFileDialog.getSaveFileName(
            self, tr("Save support bundle"), suggested, tr("Zip archives (*.zip)"))
        return path

    def _default_bundle(self, path: Path, results: Sequence[CheckResult] | None) -> Path:
        """Worker thread: write the bundle (running the checks when none were made)."""
        context = self.context
        env = Environment(context.profile, context.settings, context.secrets,
                          app_status=context.status)
        bundle = create_bundle(context.profile, path, settings=context.settings,
                               secrets=context.secrets, results=results,
                               run_diagnose=lambda: run_checks(all_checks(env)))
        return bundle.path

    def create_bundle(self) -> None:
        """Ask where, then write the bundle on a worker thread."""
        if self.bundling:
            return
        chosen = self._ask_path()
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".zip":
            path = path.with_name(path.name + ".zip")
        self.bundling = True
        self._refresh_buttons()
        if self.running:  # the bundle takes this run's report once it is complete
            self.bundle_label.setText(tr("Creating the support bundle after the check…"))
            self._bundle_after_run = path
            return
        self._write_bundle(path)

    def _write_bundle(self, path: Path) -> None:
        waiting = "" if self.results else tr(" (running the pre-shift check first)")
        self.bundle_label.setText(tr("Creating the support bundle…") + waiting)
        results = list(self.results) or None
        relay, make = self._relay, self._make_bundle

        def work() -> None:
            try:
                relay.bundle_saved.emit(make(path, results))
            except Exception as exc:
                relay.bundle_failed.emit(f"{type(exc).__name__}: {exc}")

        threading.Thread(target=work, name="support-bundle", daemon=True).start()

    def _bundle_saved(self, path: Path) -> None:
        self.bundling = False
        self.bundle_label.setText(tr("Support bundle saved to {path}").format(path=path))
        self._refresh_buttons()

    def _bundle_failed(self, message: str) -> None:
        self.bundling = False
        self.bundle_label.setText(tr("The support bundle could not be created: {why}")
                                  .format(why=message))
        self._refresh_buttons()

    # ------------------------------------------------------------------ window

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.results and not self.running:
            self.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop.set()  # the runner gives up at its next look; threads end on their own
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._stop.set()
        super().done(result)
