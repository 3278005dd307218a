"""The main window: registration state, number field, calls with their controls, history.

It hears from the phone only through ``PhoneBridge`` signals and redraws from
``phone.snapshot()``. What the agent typed is never cleared by the phone's events (an
engine crash keeps the number field as it was). Everything here runs on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone import __version__, protocol
from softphone.context import AppContext
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.gui import resources
from softphone.gui.actions import CallActions, is_ringing_in, pick_call, ringing_calls
from softphone.gui.bridge import CALL_EVENTS, PhoneBridge
from softphone.gui.calls_view import CallList
from softphone.gui.dormant_view import DormantView
from softphone.gui.errors_dialog import ErrorReporter
from softphone.gui.history_view import HistoryView
from softphone.gui.outbox_view import OutboxView
from softphone.gui.settings_dialog import SettingsDialog
from softphone.gui.shortcuts import SPECS, ShortcutsDialog, make_action, tooltip_for
from softphone.gui.status import RegistrationIndicator
from softphone.gui.text import isolate
from softphone.gui.widgets import ActionButton, BannerArea, DialPad, LevelMeter
from softphone.phone import EngineCrashed, EngineRestarted, PhoneState
from softphone.targets import MAX_TARGET_LENGTH

log = logging.getLogger(__name__)

#: How long the "Phone engine restarted" banner stays (it is never modal).
RESTART_BANNER_MS = 15_000
TRANSFER_BANNER_MS = 8_000
HISTORY_LIMIT = 200
CALL_ACTIONS = ("answer", "decline", "hangup", "hold", "mute", "transfer", "keypad")


def tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    """The softphone's window. ``quit_requested`` asks the application to exit."""

    quit_requested = Signal()
    password_requested = Signal()

    def __init__(
        self,
        context: AppContext,
        bridge: PhoneBridge,
        actions: CallActions | None = None,
        *,
        errors: ErrorReporter | None = None,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.phone = context.phone
        self.bridge = bridge
        self.calls = actions or CallActions(context.phone)
        self.errors = errors or ErrorReporter(lambda: self)
        self.clock = clock
        self.close_to_tray = False
        self.settings_dialog: SettingsDialog | None = None
        self.setObjectName("mainWindow")
        self.setWindowTitle("Softphone")
        self.setWindowIcon(resources.icon("app"))
        self.actions_by_name = self._build_actions()
        self._build_ui()
        self._build_menus()
        self._connect_bridge()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self.refresh_all()
        self.refresh_history()
        self.resize(460, 700)
        self.number_field.setFocus()

    # ------------------------------------------------------------------ building

    def _build_actions(self) -> dict[str, QAction]:
        actions = {name: make_action(spec, self) for name, spec in SPECS.items()}
        for action in actions.values():
            self.addAction(action)  # shortcuts work with the menu bar hidden too
        handlers: dict[str, Callable[[], object]] = {
            "answer": self.answer, "decline": self.decline, "hangup": self.hangup,
            "hold": self.toggle_hold, "mute": self.toggle_mute, "transfer": self.transfer,
            "keypad": self.toggle_keypad, "focus_number": self.focus_number_field,
            "redial": self.redial_last,
            "calls_tab": lambda: self.tabs.setCurrentIndex(0),
            "history_tab": lambda: self.tabs.setCurrentIndex(1),
            "settings": self.open_settings, "password": self.password_requested.emit,
            "shortcuts": self.show_shortcuts, "quit": self.quit_requested.emit,
        }
        for name, handler in handlers.items():
            actions[name].triggered.connect(lambda _=False, h=handler: h())
        actions["settings"].setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        return actions

    def _build_ui(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.setSpacing(8)
        self.registration = RegistrationIndicator(central)
        self.banners = BannerArea(central)
        layout.addWidget(self.registration)
        layout.addWidget(self.banners)
        layout.addLayout(self._build_number_row(central))
        layout.addWidget(self.number_error)
        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self._build_calls_page(), tr("Call&s"))
        self.history = HistoryView(self.context.history, self.tabs)
        self.history.redial_requested.connect(self.redial)
        self.history.load_failed.connect(self._on_history_failed)
        self.tabs.addTab(self.history, tr("H&istory"))
        self.outbox: OutboxView | None = None
        if self.context.sync is not None:
            self.outbox = OutboxView(self.context.sync, self.tabs)
            self.tabs.addTab(self.outbox, tr("&Orders"))
            self.tabs.currentChanged.connect(self._refresh_outbox_when_shown)
        self.dormant: DormantView | None = None
        if self.context.sync is not None:
            self.dormant = DormantView(self.context.sync, self.context.settings, self.tabs)
            self.dormant.dial_requested.connect(self.dial_customer)
            self.tabs.addTab(self.dormant, tr("Ou&tbound"))
            self.tabs.currentChanged.connect(self._refresh_dormant_when_shown)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._set_tab_order()

    def _build_number_row(self, parent: QWidget) -> QHBoxLayout:
        label = QLabel(tr("&Number:"), parent)
        self.number_field = QLineEdit(parent)
        self.number_field.setObjectName("numberField")
        self.number_field.setPlaceholderText(tr("Number or SIP address"))
        self.number_field.setMaxLength(MAX_TARGET_LENGTH)
        self.number_field.setClearButtonEnabled(True)
        self.number_field.setToolTip(tr("Type a number, extension, sip: or tel: address and "
                                        "press Return to call"))
        self.number_field.setAccessibleName(tr("Number to call"))
        label.setBuddy(self.number_field)
        self.number_field.returnPressed.connect(self.dial_from_field)
        self.number_field.textEdited.connect(lambda _text: self.show_dial_error(""))
        self.dial_button = QPushButton(resources.icon("answer"), tr("&Call"), parent)
        self.dial_button.setObjectName("dialButton")
        self.dial_button.setToolTip(tr("Call the number typed (Return)"))
        self.dial_button.clicked.connect(self.dial_from_field)
        self.number_error = QLabel("", parent)
        self.number_error.setObjectName("inlineError")
        self.number_error.setTextFormat(Qt.TextFormat.PlainText)
        self.number_error.setWordWrap(True)
        self.number_error.hide()
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.number_field, 1)
        row.addWidget(self.dial_button)
        return row

    def _build_calls_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        self.call_list = CallList(page)
        self.call_list.selected_call_changed.connect(self.refresh_controls)
        self.no_calls = QLabel(tr("No calls.\nType a number above and press Return."), page)
        self.no_calls.setObjectName("emptyHint")
        self.no_calls.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.call_stack = QStackedWidget(page)
        self.call_stack.addWidget(self.no_calls)
        self.call_stack.addWidget(self.call_list)
        layout.addWidget(self.call_stack, 1)
        layout.addLayout(self._build_controls(page))
        self.mic_meter = LevelMeter(tr("Microphone"), page)
        self.speaker_meter = LevelMeter(tr("Speaker"), page)
        layout.addWidget(self.mic_meter)
        layout.addWidget(self.speaker_meter)
        self.dial_pad = DialPad(page)
        self.dial_pad.pressed.connect(self.keypad_pressed)
        self.dial_pad.hide()
        self.dtmf_echo = QLabel("", page)
        self.dtmf_echo.setObjectName("dtmfEcho")
        self.dtmf_echo.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.dial_pad)
        layout.addWidget(self.dtmf_echo)
        return page

    def _build_controls(self, parent: QWidget) -> QGridLayout:
        self.buttons = {name: ActionButton(self.actions_by_name[name], parent)
                        for name in CALL_ACTIONS}
        grid = QGridLayout()
        grid.setSpacing(6)
        for column, name in enumerate(("answer", "decline", "hangup")):
            grid.addWidget(self.buttons[name], 0, column)
        second_row = QHBoxLayout()
        for name in ("hold", "mute", "transfer", "keypad"):
            second_row.addWidget(self.buttons[name])
        grid.addLayout(second_row, 1, 0, 1, 3)
        return grid

    def _build_menus(self) -> None:
        menus = (
            (tr("&Phone"), ("settings", "password", None, "quit")),
            (tr("Ca&ll"), ("answer", "decline", "hangup", "hold", "mute", "transfer", None,
                           "redial", "keypad", "focus_number", "calls_tab", "history_tab")),
            (tr("&Help"), ("shortcuts",)),
        )
        for title, names in menus:
            menu = self.menuBar().addMenu(title)
            for name in names:
                if name is None:
                    menu.addSeparator()
                else:
                    menu.addAction(self.actions_by_name[name])
        about = QAction(tr("&About Softphone"), self)
        about.triggered.connect(self.show_about)
        menu.addAction(about)  # the last menu is Help
        menu.addSeparator()
        check = QAction(tr("&Pre-shift check…"), self)
        check.setObjectName("preShiftCheckAction")
        check.triggered.connect(lambda _checked=False: self.open_diagnose(bundle=False))
        bundle = QAction(tr("Create support &bundle…"), self)
        bundle.setObjectName("supportBundleAction")
        bundle.triggered.connect(lambda _checked=False: self.open_diagnose(bundle=True))
        menu.addAction(check)
        menu.addAction(bundle)

    def _set_tab_order(self) -> None:
        chain = [self.number_field, self.dial_button, self.tabs, self.call_list,
                 *(self.buttons[name] for name in CALL_ACTIONS), self.dial_pad]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _connect_bridge(self) -> None:
        bridge = self.bridge
        bridge.any_event.connect(self._on_event)
        bridge.registration_changed.connect(lambda _e: self.refresh_registration())
        bridge.audio_levels.connect(self._on_levels)
        bridge.devices_changed.connect(self._on_devices)
        bridge.engine_error.connect(self._on_engine_error)
        bridge.engine_crashed.connect(self._on_engine_crashed)
        bridge.engine_restarted.connect(self._on_engine_restarted)
        bridge.transfer_result.connect(self._on_transfer_result)
        bridge.call_ended.connect(lambda _e: self.refresh_history())
        bridge.call_ended.connect(lambda _e: self._refresh_dormant())

    # ------------------------------------------------------------------ refreshing

    def refresh_all(self) -> None:
        self.refresh_registration()
        self.refresh_calls()
        self._on_devices(self.phone.snapshot().devices)

    def refresh_registration(self) -> None:
        registration = self.phone.snapshot().registration
        self.registration.show_state(registration, str(self.context.settings["sip.uri"]))
        if registration.state == "failed" and registration.reason in (
            "authentication failed", "no password"
        ):
            self.banners.show_banner(
                "registration",
                tr("Could not sign in: {reason}. Check the password.").format(
                    reason=registration.reason),
                "error", action=(tr("Enter password…"), self.password_requested.emit))
        elif registration.state == "unregistered" and registration.reason == "not configured":
            self.banners.show_banner(
                "registration", tr("Enter your SIP account to make and take calls."), "info",
                action=(tr("Open settings…"), self.open_settings))
        else:
            self.banners.dismiss("registration")

    def refresh_calls(self) -> None:
        state = self.phone.snapshot()
        self.call_list.sync(state, self.clock())
        self.call_stack.setCurrentWidget(self.call_list if state.calls else self.no_calls)
        self._refresh_controls(state)

    def refresh_controls(self) -> None:
        self._refresh_controls(self.phone.snapshot())

    def _refresh_controls(self, state: PhoneState) -> None:
        call = pick_call(state, self.call_list.selected_call_id())
        connected = call is not None and call.state == "confirmed"
        ringing = bool(ringing_calls(state))
        acts = self.actions_by_name
        acts["answer"].setEnabled(ringing)
        acts["decline"].setEnabled(ringing)
        acts["hangup"].setEnabled(call is not None and not is_ringing_in(call))
        acts["transfer"].setEnabled(connected)
        held = call is not None and call.local_hold
        acts["hold"].setEnabled(connected)
        acts["hold"].setChecked(held)
        acts["hold"].setText(tr("&Resume") if held else tr("H&old"))
        acts["mute"].setChecked(state.muted)
        acts["mute"].setText(tr("Un&mute") if state.muted else tr("&Mute"))
        self.mic_meter.set_note(tr("Muted") if state.muted else "")
        if not state.calls:
            self.mic_meter.set_level(0.0)
            self.speaker_meter.set_level(0.0)
        self._update_window_title(state)

    def _update_window_title(self, state: PhoneState) -> None:
        ringing = ringing_calls(state)
        if ringing:
            who = ringing[0].remote.display_name or ringing[0].remote.number
            self.setWindowTitle(tr("Ringing: {who} — Softphone").format(who=isolate(who)))
        elif state.calls:
            self.setWindowTitle(tr("On a call — Softphone"))
        else:
            self.setWindowTitle("Softphone")

    def _refresh_outbox_when_shown(self, index: int) -> None:
        if self.outbox is not None and self.tabs.widget(index) is self.outbox:
            self.outbox.refresh()

    def _refresh_dormant_when_shown(self, index: int) -> None:
        if self.dormant is not None and self.tabs.widget(index) is self.dormant:
            self.dormant.refresh()

    def _refresh_dormant(self) -> None:
        """A call ended: the Outbound tab shows its outcome (read in the background)."""
        if self.dormant is not None:
            self.dormant.refresh()

    def refresh_history(self) -> None:
        """Reload the History tab in the background; it fills when the rows arrive."""
        self.history.refresh(HISTORY_LIMIT)

    def _on_history_failed(self, error: BaseException) -> None:
        # Environment (disk, database) problems must not close the window.
        log.error("Could not read the call history", exc_info=error)
        self.banners.show_banner("history", tr("The call history could not be read."),
                                 "warning")

    def tick(self) -> None:
        """Each second: advance the call timers."""
        self.call_list.tick(self.clock())

    # ------------------------------------------------------------------ events

    def _on_event(self, event: object) -> None:
        if isinstance(event, CALL_EVENTS):
            self.refresh_calls()
        if isinstance(event, EngineCrashed | EngineRestarted):
            self.refresh_registration()

    def _on_levels(self, event: protocol.AudioLevels) -> None:
        self.mic_meter.set_level(event.microphone)
        self.speaker_meter.set_level(event.speaker)

    def _on_devices(self, event: protocol.DevicesChanged) -> None:
        if event.warnings:
            self.banners.show_banner("devices", "\n".join(event.warnings), "warning")
        else:
            self.banners.dismiss("devices")

    def _on_engine_error(self, event: protocol.EngineError) -> None:
        if event.kind == "bug":
            self.errors.report(event.message, event.details)
            return
        level = "error" if event.kind == "user" else "warning"
        self.banners.show_banner(f"engine-{event.kind}", event.message, level)

    def _on_engine_crashed(self, _event: EngineCrashed) -> None:
        # Only a banner: the number field and everything else the agent typed stay as they are.
        self.banners.show_banner(
            "engine", tr("The phone engine stopped unexpectedly and is restarting. "
                         "Calls in progress were lost."), "warning")

    def _on_engine_restarted(self, _event: EngineRestarted) -> None:
        self.banners.show_banner("engine", tr("Phone engine restarted"), "info",
                                 timeout_ms=RESTART_BANNER_MS)

    def _on_transfer_result(self, event: protocol.TransferResult) -> None:
        if event.success:
            self.banners.show_banner("transfer", tr("Call transferred."), "info",
                                     timeout_ms=TRANSFER_BANNER_MS)
        else:
            reason = event.reason or tr("the other side refused")
            self.banners.show_banner("transfer", tr("Transfer failed: {reason}").format(
                reason=reason), "error")

    # ------------------------------------------------------------------ actions

    def dial_from_field(self) -> None:
        self.dial(self.number_field.text())

    def dial(self, text: str) -> str | None:
        """Call ``text``; a bad number is explained under the number field."""
        try:
            call_id = self.calls.dial(text)
        except UserFacingError as exc:
            self.show_dial_error(str(exc))
            return None
        self.show_dial_error("")
        self.tabs.setCurrentIndex(0)
        self.refresh_calls()  # Phone.dial announces nothing until the engine answers
        return call_id

    def dial_customer(self, number: str) -> None:
        """Call a customer from the Outbound tab (the number field is left as typed)."""
        self.dial(number)

    def redial(self, target: str) -> None:
        """Call back from the history (the number field is left as the agent typed it)."""
        self.dial(target)

    def redial_last(self) -> None:
        """Call the last number dialled again (Ctrl+Shift+L)."""
        try:
            call_id = self.calls.redial()
        except (UserFacingError, EnvironmentalError) as exc:
            self.show_dial_error(str(exc))
            return
        if call_id is None:
            self.show_dial_error(tr("No number was dialled yet."))
            return
        self.show_dial_error("")
        self.tabs.setCurrentIndex(0)
        self.refresh_calls()

    def show_dial_error(self, message: str) -> None:
        self.number_error.setText(message)
        self.number_error.setVisible(bool(message))

    def answer(self) -> None:
        selected = self.call_list.selected_call_id()
        ringing_ids = [call.id for call in ringing_calls(self.phone.snapshot())]
        self.calls.answer(selected if selected in ringing_ids else None)

    def decline(self) -> None:
        selected = self.call_list.selected_call_id()
        ringing_ids = [call.id for call in ringing_calls(self.phone.snapshot())]
        self.calls.decline(selected if selected in ringing_ids else None)

    def hangup(self) -> None:
        call = pick_call(self.phone.snapshot(), self.call_list.selected_call_id())
        if call is not None:
            self.calls.hangup(call.id)

    def toggle_hold(self) -> None:
        self.calls.toggle_hold(self.call_list.selected_call_id())
        self.refresh_controls()  # the button shows the phone's state, not the click

    def toggle_mute(self) -> None:
        self.calls.toggle_mute()
        self.refresh_controls()

    def transfer(self) -> None:
        call = pick_call(self.phone.snapshot(), self.call_list.selected_call_id())
        if call is None:
            return
        target = self.ask_transfer_target()
        if not target:
            return
        try:
            self.calls.transfer(target, call.id)
        except UserFacingError as exc:
            self.banners.show_banner("transfer", str(exc), "error")

    def ask_transfer_target(self) -> str | None:
        """Ask where to send the call (a modal prompt; tests replace this method)."""
        text, accepted = QInputDialog.getText(
            self, tr("Transfer call"), tr("Transfer the call to (number or SIP address):"))
        return text.strip() if accepted else None

    def toggle_keypad(self) -> None:
        visible = not self.dial_pad.isVisible()
        self.tabs.setCurrentIndex(0)
        self.dial_pad.setVisible(visible)
        self.actions_by_name["keypad"].setChecked(visible)
        if visible:
            self.dial_pad.setFocus()

    def keypad_pressed(self, digit: str) -> None:
        """During a connected call send the tone; otherwise type the digit."""
        call = pick_call(self.phone.snapshot(), self.call_list.selected_call_id())
        if call is not None and call.state == "confirmed":
            self.calls.send_dtmf(digit, call.id)
            shown = (self.dtmf_echo.text().removeprefix(tr("Tones sent: ")) + digit)[-24:]
            self.dtmf_echo.setText(tr("Tones sent: ") + shown)
        else:
            self.number_field.insert(digit)

    def focus_number_field(self) -> None:
        self.number_field.setFocus()
        self.number_field.selectAll()

    def open_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.context, self.bridge, self)
            self.settings_dialog.finished.connect(self._settings_closed)
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()

    def _settings_closed(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
            self.settings_dialog = None
        self.refresh_registration()

    def open_diagnose(self, bundle: bool = False) -> None:
        """The pre-shift check dialog; with ``bundle``, straight to saving a support bundle."""
        from softphone.gui.diagnose_dialog import DiagnoseDialog

        dialog = DiagnoseDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        if bundle:
            dialog.create_bundle()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def show_about(self) -> None:
        QMessageBox.about(self, tr("About Softphone"),
                          tr("Softphone {version}\nA softphone for call-center agents.").format(
                              version=__version__))

    def tooltip(self, name: str) -> str:
        return tooltip_for(SPECS[name])

    # ------------------------------------------------------------------ window

    def closeEvent(self, event: QCloseEvent) -> None:
        """With a tray icon, closing hides the window; without one, it quits."""
        if self.close_to_tray:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.quit_requested.emit()
