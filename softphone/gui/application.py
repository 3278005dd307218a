"""Starting and stopping the GUI: ``run_gui(profile)`` is the entry point ``softphone`` uses.

Order at start: QApplication (name, icon, style, translations) -> AppContext (with a
password prompt) -> the SIP password asked *before* the engine starts when the keyring
has none -> bridge, main window, incoming-call windows, tray, error hook, control server
-> ``phone.start()``. At quit the context is closed (engine stopped, database closed).

Everything here runs on the GUI thread, except that the password prompt may be called
by the phone on an engine thread after a crash: there it answers None instead of
opening a dialog (the agent can use Phone > Enter password…).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import cast

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLibraryInfo,
    QLocale,
    QObject,
    Qt,
    QThread,
    QTimer,
    QTranslator,
    Signal,
    Slot,
)
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QWidget,
)

from softphone import __version__, autostart, control, protocol
from softphone.context import AppContext, PasswordPrompt
from softphone.errors import UserFacingError
from softphone.gui import first_run, resources
from softphone.gui.actions import CallActions
from softphone.gui.agent_state_view import AgentBridge, AgentStateView
from softphone.gui.bridge import PhoneBridge
from softphone.gui.desk import CustomerDesk
from softphone.gui.errors_dialog import ErrorReporter, ExceptHook, install_excepthook
from softphone.gui.first_run import FirstRunWizard
from softphone.gui.incoming import IncomingCallManager
from softphone.gui.ipc import ControlServer
from softphone.gui.main_window import MainWindow
from softphone.gui.status import add_audio_notice
from softphone.gui.sync_status import SyncBridge, SyncIndicator
from softphone.gui.tray import TrayController
from softphone.paths import Profile
from softphone.secrets import SIP_ACCOUNT
from softphone.targets import LINK_SCHEMES

log = logging.getLogger(__name__)

#: Builds the app's context given the password prompt (tests pass their own).
ContextFactory = Callable[[PasswordPrompt], AppContext]


def tr(text: str) -> str:
    return QCoreApplication.translate("Application", text)


def show_and_raise(window: QWidget) -> None:
    """Bring ``window`` forward: un-minimise, show, raise and give it the keyboard."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication with the app's name, icon, style, stylesheet and translations."""
    existing = QApplication.instance()
    app = cast(QApplication, existing) if existing else QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("Softphone")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("softphone")
    app.setWindowIcon(resources.icon("app"))
    app.setStyle("Fusion")
    app.setStyleSheet(resources.stylesheet())
    app.setQuitOnLastWindowClosed(False)
    install_translators(app)
    return app


def install_translators(app: QApplication) -> None:
    """Load Qt's own and the app's translations for the system locale, when present."""
    locale = QLocale.system()
    sources = (("qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
               ("softphone", "_", str(resources.translations_dir())))
    for name, prefix, directory in sources:
        translator = QTranslator(app)
        if translator.load(locale, name, prefix, directory):
            app.installTranslator(translator)


class PasswordPrompter:
    """The context's password prompt: a password dialog, on the GUI thread only.

    Cancelling is remembered, so the agent is asked once per start, not at every
    re-registration; ``ask_again`` re-arms it (Phone > Enter password…).
    """

    def __init__(self) -> None:
        self.cancelled = False
        self.account = ""
        self.parent: QWidget | None = None

    def __call__(self, reason: str) -> str | None:
        app = QCoreApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            log.warning("SIP password needed off the GUI thread; not asking now")
            return None
        if self.cancelled:
            return None
        label = tr("Password for {account}:").format(account=self.account or tr("your account"))
        if reason:
            label = f"{reason}\n\n{label}"
        text, accepted = QInputDialog.getText(
            self.parent, tr("Softphone — sign in"), label, QLineEdit.EchoMode.Password)
        if not accepted or not text:
            self.cancelled = True
            return None
        return text

    def ask_again(self) -> None:
        self.cancelled = False


class SoftphoneGui(QObject):
    """Everything the running GUI owns, wired together."""

    _setting_changed = Signal(str, object)  # from the settings' writer thread
    _headset_problem = Signal(str)  # from the headset watcher thread

    def __init__(self, app: QApplication, context: AppContext,
                 prompter: PasswordPrompter) -> None:
        super().__init__()
        self.app = app
        self.context = context
        self.prompter = prompter
        prompter.account = str(context.settings["sip.uri"])
        self.bridge = PhoneBridge(context.phone, self)
        self.call_actions = CallActions(context.phone)
        self.reporter = ErrorReporter(lambda: self.window)
        self.window = MainWindow(context, self.bridge, self.call_actions, errors=self.reporter)
        prompter.parent = self.window
        self.incoming = IncomingCallManager(self.bridge, self.call_actions, self)
        self.tray = TrayController(context.phone, self.bridge, self.call_actions,
                                   show_window=self.show_window, quit_app=self.quit,
                                   parent=self)
        self.window.close_to_tray = self.tray.available
        self.window.quit_requested.connect(self.quit)
        self.window.password_requested.connect(self.enter_password)
        self._previous_hook: ExceptHook | None = install_excepthook(self.reporter)
        self.audio_notice = add_audio_notice(self.bridge, self.window.statusBar())
        self.sync_indicator = SyncIndicator(self.window)
        self.window.statusBar().addPermanentWidget(self.sync_indicator)
        self.sync_bridge: SyncBridge | None = None
        if context.sync is not None:
            self.sync_bridge = SyncBridge(context.sync, self)
            self.sync_bridge.state_changed.connect(self.sync_indicator.show_state)
            self.sync_indicator.show_state(context.sync.state())
            self.bridge.registration_changed.connect(self._sync_when_back_online)
        self._registered = False
        self.agent_bridge: AgentBridge | None = None
        self.desk: CustomerDesk | None = None
        if context.agent is not None and context.sync is not None:
            self._add_customer_desk()
        self.control_server = self._start_control_server()
        app.installEventFilter(self)  # macOS hands tel: and sip: links over as events
        self.first_run: FirstRunWizard | None = None
        self._closed = False

    # ------------------------------------------------------------------ single instance

    def _start_control_server(self) -> ControlServer:
        # Requests from `softphone dial/answer/hangup/status/show` arrive here on the GUI
        # thread. CallActions stands in for Phone so that dialling or answering from the
        # command line holds the current call first, like the buttons do.
        name = control.server_name(self.context.profile)

        def handle(raw: bytes) -> bytes:
            return control.handle_request(raw, self.call_actions, self.show_window,
                                          self.reload_settings, self.context.status)

        return ControlServer(name, handle, self)

    def _add_customer_desk(self) -> None:
        """The agent's state in the status bar and the customer desk right of the phone."""
        assert self.context.agent is not None
        self.agent_bridge = AgentBridge(self.context.agent, self)
        self.window.statusBar().addWidget(AgentStateView(self.agent_bridge, self.window))
        self.desk = CustomerDesk(self.context, self.bridge, self.call_actions,
                                 self._notify, self)
        self.agent_bridge.changed.connect(self.desk.agent_changed)
        self.agent_bridge.second.connect(self.desk.workspace.wrapup.tick)
        if self.sync_bridge is not None:
            self.sync_bridge.state_changed.connect(self.desk.sync_changed)
            if self.window.outbox is not None:
                self.sync_bridge.state_changed.connect(self.window.outbox.sync_changed)
        phone_panel = self.window.takeCentralWidget()
        assert phone_panel is not None
        splitter = QSplitter(Qt.Orientation.Horizontal, self.window)
        splitter.setObjectName("deskSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(phone_panel)
        splitter.addWidget(self.desk.workspace)
        splitter.setStretchFactor(1, 1)
        self.window.setCentralWidget(splitter)
        self.window.resize(max(self.window.width(), 1180), self.window.height())
        splitter.setSizes([440, 740])

    def _notify(self, text: str) -> None:
        self.window.banners.show_banner("desk", text, "warning", timeout_ms=15_000)

    def _sync_when_back_online(self, event: protocol.RegistrationChanged) -> None:
        """Registered again after a failure: the network is back, so sync at once."""
        registered = event.state == "registered"
        if registered and not self._registered and self.context.sync is not None:
            self.context.sync.sync_now()
        self._registered = registered

    def show_window(self) -> None:
        show_and_raise(self.window)

    def reload_settings(self) -> None:
        self.context.settings.reload()
        self.window.refresh_registration()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """The first-run wizard or the password prompt if needed, the window, the engine."""
        if first_run.needed(self.context.profile):
            self._start_first_run()
        else:
            self._ask_password_if_needed()
            self._show_at_start()
        self._report_settings_problems()
        self._keep_start_at_login()
        self._start_headset_buttons()
        if self.context.sync is not None:
            self.context.sync.start()
        if self.desk is not None:
            self.desk.start()
        try:
            self.context.phone.start()
        except OSError as exc:
            log.exception("The phone engine could not start")
            self.window.banners.show_banner(
                "engine", tr("The phone engine could not start: {error}").format(error=exc),
                "error")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A link opened on macOS arrives as a FileOpen event: call it."""
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            link = event.url().toString()
            if link.lower().startswith(LINK_SCHEMES):
                self.show_window()
                self.window.dial(link)
                return True
        return super().eventFilter(watched, event)

    def _start_headset_buttons(self) -> None:
        """Headset call buttons and lights; a refused headset is said once, with the fix."""
        headset = self.context.headset
        if headset is None:
            return
        self._headset_problem.connect(
            lambda text: self.window.banners.show_banner("headset", text, "warning"))
        headset.add_problem_listener(self._headset_problem.emit)
        headset.start()

    def _start_first_run(self) -> None:
        """The wizard over the window. It asks for the password itself, so the engine
        starting behind it must not open the password prompt meanwhile."""
        prompt, self.context.password_prompt = self.context.password_prompt, None
        self.window.show()
        self.first_run = FirstRunWizard(self.context, self.bridge, self.window)

        def finished(result: int) -> None:
            self.context.password_prompt = prompt
            self.first_run = None
            if result != FirstRunWizard.DialogCode.Accepted:  # skipped: the usual way
                self._ask_password_if_needed()
                self.context.phone.register()

        self.first_run.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.first_run.finished.connect(finished)
        self.first_run.show()

    def _show_at_start(self) -> None:
        """The window, or only the tray icon (minimised without a tray) when the agent
        chose to start minimised."""
        if not self.context.settings["app.start_minimised"]:
            self.window.show()
        elif not self.tray.available:
            self.window.showMinimized()

    def _report_settings_problems(self) -> None:
        """Settings files with errors were skipped in part: say which, once."""
        problems = self.context.settings.problems
        if problems:
            text = tr("Some settings were ignored: {details}").format(
                details="; ".join(problem.message for problem in problems[:3]))
            self.window.banners.show_banner("settings", text, "warning")

    def _keep_start_at_login(self) -> None:
        """Write the start-at-login entry now (the app may have moved) and on changes.

        Settings listeners run on the writer's thread (provisioning writes from its
        own): the change is carried to the GUI thread by a queued signal."""
        if self.context.settings["app.start_at_login"]:
            self._apply_start_at_login("app.start_at_login", True)
        self._setting_changed.connect(self._apply_start_at_login)
        self.context.settings.on_change(self._setting_changed.emit)

    @Slot(str, object)
    def _apply_start_at_login(self, name: str, value: object) -> None:
        if name != "app.start_at_login":
            return
        try:
            autostart.apply(bool(value))
        except OSError as exc:
            log.warning("Start at login could not be changed: %s", exc)
            self.window.banners.show_banner(
                "autostart", tr("Start at login could not be changed: {error}")
                .format(error=exc), "warning")

    def _ask_password_if_needed(self) -> None:
        configured = bool(str(self.context.settings["sip.uri"]).strip())
        if configured and self.context.secrets.get(SIP_ACCOUNT) is None:
            self.context.sip_password()

    def enter_password(self) -> None:
        """Phone > Enter password…: ask, keep it (keyring, else this session), sign in."""
        self.prompter.account = str(self.context.settings["sip.uri"])
        self.prompter.ask_again()
        password = self.prompter("")
        if password is None:
            return
        if not self.context.secrets.set(SIP_ACCOUNT, password):
            self.window.banners.show_banner(
                "keyring", tr("The password could not be saved in the keyring; it will be "
                              "asked again at the next start."), "warning")
        self.context.phone.register()

    def quit(self) -> None:
        """Quit, after asking when calls are in progress."""
        calls = len(self.context.phone.snapshot().calls)
        if calls and not self._confirm_quit(calls):
            return
        self.app.quit()

    def _confirm_quit(self, calls: int) -> bool:
        answer = QMessageBox.question(
            self.window, tr("Quit Softphone"),
            tr("{count} call(s) in progress will be ended. Quit anyway?").format(count=calls))
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Stop listening, remove the tray icon, stop the engine and close the database."""
        if self._closed:
            return
        self._closed = True
        if self.first_run is not None:  # a modal window must not outlive its parent
            self.first_run.close()
        self.bridge.close()
        if self.agent_bridge is not None:
            self.agent_bridge.close()
        if self.sync_bridge is not None:
            self.sync_bridge.close()
        self.tray.hide()
        self.control_server.close()
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
        self.context.close()


def _quit_on_termination_signals(app: QApplication) -> None:
    """SIGTERM/SIGINT (logout, service stop, Ctrl+C) quit cleanly: engine stopped first.

    Python runs signal handlers only between bytecodes, so a timer wakes the interpreter
    a few times a second while Qt's event loop waits.
    """
    def request_quit(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, app.quit)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_quit)
    waker = QTimer(app)
    waker.timeout.connect(lambda: None)
    waker.start(250)


def run_gui(
    profile: Profile | None = None,
    argv: Sequence[str] | None = None,
    context_factory: ContextFactory | None = None,
) -> int:
    """Run the desktop app until the agent quits; returns the process exit status.

    ``profile`` chooses where settings and data live (default: the OS's user dirs);
    ``context_factory`` replaces ``AppContext.create`` (it receives the password prompt).
    """
    app = create_application(argv)
    prompter = PasswordPrompter()
    chosen = profile or Profile.default()
    factory = context_factory or (lambda prompt: AppContext.create(chosen, prompt))
    try:
        context = factory(prompter)
    except UserFacingError as exc:
        QMessageBox.critical(None, "Softphone", str(exc))
        return 2
    gui = SoftphoneGui(app, context, prompter)
    app.aboutToQuit.connect(gui.shutdown)
    _quit_on_termination_signals(app)
    gui.start()
    try:
        return app.exec()
    finally:
        gui.shutdown()
