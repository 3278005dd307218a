"""The Settings dialog: account, audio devices, calls, and the rest of the schema.

Fields are built from ``softphone.settings.SCHEMA`` (type, choices, limits, description);
this module only adds short labels and page placement. The SIP password goes to the OS
keyring through ``context.secrets`` and never to a file. Devices are stored by name.
A setting IT locked shows read-only with "Set by your administrator", and saving never
tries to change it. The Audio page has "Test my audio" (``AudioTestPanel``, also used by
the first-run wizard). Everything here runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from softphone import protocol
from softphone.context import AppContext
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.gui.bridge import PhoneBridge
from softphone.gui.widgets import LevelMeter
from softphone.secrets import SIP_ACCOUNT
from softphone.settings import SCHEMA, Setting, SettingValue, setting

ACCOUNT = ("sip.uri", "sip.registrar", "sip.username", "sip.display_name", "sip.transport",
           "sip.proxy", "sip.stun")
DEVICES = ("audio.microphone", "audio.speaker", "audio.ringer")
AUDIO_POLICY = ("audio.fallback_devices", "audio.return_to_headset", "audio.ring_on",
                "audio.ring_volume", "audio.ringtone", "audio.key_account_ringtone")
CALLS = ("calls.auto_answer_seconds", "sip.dtmf_method", "calls.default_region")

LABELS = {
    "sip.uri": "SIP address", "sip.registrar": "Registrar", "sip.username": "User name",
    "sip.display_name": "Your name", "sip.transport": "Transport", "sip.proxy": "Outbound proxy",
    "sip.stun": "STUN server", "sip.local_port": "Local SIP port",
    "sip.tls_verify": "Verify certificate", "sip.ca_file": "CA bundle",
    "sip.register_retry_seconds": "Retry after", "sip.register_expires_seconds": "Re-register",
    "sip.rtp_port": "First RTP port", "sip.dtmf_method": "Key tones",
    "sip.trace": "SIP trace", "audio.microphone": "Microphone", "audio.speaker": "Headset",
    "audio.ringer": "Ringer", "audio.sample_rate": "Sample rate",
    "audio.fallback_devices": "If missing, use", "audio.return_to_headset": "Headset back",
    "audio.ring_on": "Ring on", "audio.ring_volume": "Ring volume",
    "audio.ringtone": "Ringtone", "audio.key_account_ringtone": "Key-account ringtone",
    "calls.auto_answer_seconds": "Auto-answer", "calls.default_region": "Country",
    "log.level": "Log detail",
}
CHOICE_LABELS: dict[str, dict[SettingValue, str]] = {
    "sip.transport": {"udp": "UDP", "tcp": "TCP", "tls": "TLS (encrypted)"},
    "sip.dtmf_method": {"rfc4733": "In the audio (RFC 4733)", "info": "SIP INFO messages"},
    "audio.sample_rate": {16000: "16 kHz (wideband)", 48000: "48 kHz"},
    "audio.ring_on": {"ringer": "The ringer", "headset": "The headset",
                      "both": "The ringer and the headset"},
    "log.level": {"debug": "Debug", "info": "Normal", "warning": "Warnings", "error": "Errors"},
}
LOCKED_TEXT = "Set by your administrator"
#: How long "Test my audio" records (and then plays back).
TEST_SECONDS = 3.0
#: The dialog never opens taller than this (a 768-pixel laptop screen with its panels).
MAX_HEIGHT = 680
SUFFIXES = {"sip.register_retry_seconds": " s", "sip.register_expires_seconds": " s",
            "calls.auto_answer_seconds": " s", "audio.ring_volume": " %"}


def tr(text: str) -> str:
    return QCoreApplication.translate("Settings", text)


def make_editor(spec: Setting, parent: QWidget) -> QWidget:
    """The widget that edits ``spec``: combo, check box, spin box or line edit."""
    editor: QWidget
    if spec.choices:
        combo = QComboBox(parent)
        for choice in spec.choices:
            combo.addItem(tr(CHOICE_LABELS.get(spec.name, {}).get(choice, str(choice))), choice)
        editor = combo
    elif spec.type is bool:
        editor = QCheckBox(tr(spec.description), parent)
    elif spec.type is int:
        spin = QSpinBox(parent)
        spin.setRange(spec.minimum if spec.minimum is not None else 0,
                      spec.maximum if spec.maximum is not None else 1_000_000)
        spin.setSuffix(SUFFIXES.get(spec.name, ""))
        if spec.name == "calls.auto_answer_seconds":
            spin.setSpecialValueText(tr("Off"))
        editor = spin
    else:
        line = QLineEdit(parent)
        line.setClearButtonEnabled(True)
        editor = line
    editor.setObjectName(f"setting_{spec.name}")
    editor.setToolTip(tr(spec.description))
    editor.setAccessibleDescription(tr(spec.description))
    return editor


def editor_value(editor: QWidget) -> SettingValue:
    if isinstance(editor, QComboBox):
        value: SettingValue = editor.currentData()
        return value
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox):
        return editor.value()
    assert isinstance(editor, QLineEdit)
    return editor.text().strip()


def set_editor_value(editor: QWidget, value: SettingValue) -> None:
    if isinstance(editor, QComboBox):
        index = editor.findData(value)
        if index < 0:
            editor.addItem(tr("{name} (not connected)").format(name=value), value)
            index = editor.count() - 1
        editor.setCurrentIndex(index)
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(str(value))


def locked_note(parent: QWidget) -> QLabel:
    """The small label next to a setting IT locked."""
    note = QLabel(tr(LOCKED_TEXT), parent)
    note.setObjectName("lockedNote")
    note.setToolTip(tr("Your IT department fixed this setting; it cannot be changed here."))
    return note


class AudioTestPanel(QWidget):
    """"Test my audio": a button, a level meter and the verdict in plain words.

    ``devices`` returns the (microphone, headset) names to test, "" for the system
    default: the ones picked on screen, which need not be saved yet. The engine records
    ``TEST_SECONDS`` (the agent speaks), plays them back on the headset and judges the
    microphone; its progress events move the meter. GUI thread.
    """

    def __init__(self, context: AppContext, bridge: PhoneBridge,
                 devices: Callable[[], tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioTestPanel")
        self.context = context
        self.devices = devices
        self.running = False
        self.button = QPushButton(tr("&Test my audio"), self)
        self.button.setObjectName("testAudioButton")
        self.button.setToolTip(tr("Record {seconds:g} seconds from the microphone and play "
                                  "them back on the headset").format(seconds=TEST_SECONDS))
        self.button.clicked.connect(self.start)
        self.meter = LevelMeter(tr("Level"), self)
        self.meter.setObjectName("audioTestMeter")
        self.result = QLabel(tr("Press the button, then say a few words: you will hear them "
                                "back on your headset."), self)
        self.result.setObjectName("audioTestResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        self.result.setAccessibleName(tr("Audio test result"))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.meter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.result)
        bridge.any_event.connect(self._on_event)

    def start(self) -> None:
        """Ask the engine for a test with the devices on screen."""
        microphone, speaker = self.devices()
        try:
            self.context.phone.test_audio(TEST_SECONDS, microphone, speaker)
        except (UserFacingError, EnvironmentalError) as exc:
            self._show_result(str(exc), "warning")
            return
        self.running = True
        self.button.setEnabled(False)
        self.meter.title.setText(tr("Starting"))
        self._show_result(tr("Opening the microphone…"), "")

    def stop(self) -> None:
        """Stop a test still running (the window closes)."""
        if self.running:
            self.running = False
            self.context.phone.stop_audio_test()

    def _on_event(self, event: object) -> None:
        if isinstance(event, protocol.AudioTestProgress) and self.running:
            self.show_progress(event)

    def show_progress(self, event: protocol.AudioTestProgress) -> None:
        """Show one progress report of the engine."""
        if event.phase == "recording":
            left = max(0.0, event.seconds - event.elapsed)
            self.meter.title.setText(tr("Recording"))
            self.meter.set_level(event.level)
            self._show_result(tr("Speak now… {left:.0f} s left").format(left=left), "")
        elif event.phase == "playing":
            where = event.speaker or tr("the system default output")
            self.meter.title.setText(tr("Playing back"))
            self.meter.set_level(event.level)
            self._show_result(tr("Listen: playing back on {device}…").format(device=where), "")
        else:
            self.running = False
            self.button.setEnabled(True)
            self.button.setText(tr("&Test again"))
            self.meter.title.setText(tr("Level"))
            self.meter.set_level(0.0)
            good = event.phase == "done" and event.verdict == "ok"
            self._show_result(event.message, "ok" if good else "warning")

    def _show_result(self, text: str, level: str) -> None:
        self.result.setText(text)
        self.result.setProperty("level", level)
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)


class SettingsDialog(QDialog):
    """Edits the user's settings layer; "Save" validates everything before writing."""

    def __init__(self, context: AppContext, bridge: PhoneBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.bridge = bridge
        self.settings = context.settings
        self.setObjectName("settingsDialog")
        self.setWindowTitle(tr("Settings"))
        self.editors: dict[str, QWidget] = {}
        self.help_labels: dict[str, QLabel] = {}
        self.locked_notes: dict[str, QLabel] = {}
        self.tabs = QTabWidget(self)
        advanced = tuple(s.name for s in SCHEMA
                         if s.name not in (*ACCOUNT, *DEVICES, *AUDIO_POLICY, *CALLS))
        pages = [(self._account_page(), tr("&Account")), (self._audio_page(), tr("A&udio")),
                 (self._form_page(CALLS), tr("&Calls")),
                 (self._form_page(advanced), tr("Ad&vanced"))]
        for page, title in pages:
            self.tabs.addTab(self._scrolled(page), title)
        self.error = QLabel("", self)
        self.error.setObjectName("inlineError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._load_values()
        bridge.devices_changed.connect(self._devices_changed)
        self._devices_changed(context.phone.snapshot().devices)
        # Long pages (Advanced) scroll rather than make the dialog taller than a screen.
        width = max(page.sizeHint().width() for page, _title in pages) + 60
        height = max(page.sizeHint().height() for page, _title in pages) + 120
        self.resize(max(540, width), min(MAX_HEIGHT, height))

    # ------------------------------------------------------------------ pages

    def _scrolled(self, page: QWidget) -> QScrollArea:
        scroll = QScrollArea(self)
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The tab's own background shows through, as without the scroll area.
        scroll.setStyleSheet("QScrollArea { background: transparent; }")
        scroll.viewport().setAutoFillBackground(False)
        page.setAutoFillBackground(False)
        return scroll

    def _form(self, page: QWidget) -> QFormLayout:
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(4)
        return form

    def _add_row(self, form: QFormLayout, page: QWidget, name: str,
                 editor: QWidget | None = None, field: QWidget | None = None) -> QWidget:
        """A labelled row for ``name``; ``field`` holds the editor with its buttons."""
        spec = setting(name)
        editor = editor or make_editor(spec, page)
        self.editors[name] = editor
        label = QLabel(tr(LABELS.get(name, name)) + ":", page)
        label.setBuddy(editor)
        label.setToolTip(tr(spec.description))
        shown = field or editor
        if self.settings.locked(name):
            shown = self._locked_field(name, shown, page)
        form.addRow(label, shown)
        if not isinstance(editor, QCheckBox):
            self.help_labels[name] = self._help(tr(spec.description), page)
            form.addRow("", self.help_labels[name])
        return editor

    def _locked_field(self, name: str, field: QWidget, page: QWidget) -> QWidget:
        """``field`` read-only, with "Set by your administrator" beside it."""
        field.setEnabled(False)
        note = locked_note(page)
        self.locked_notes[name] = note
        holder = QWidget(page)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(note)
        return holder

    @staticmethod
    def _help(text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setObjectName("fieldHelp")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def _form_page(self, names: tuple[str, ...]) -> QWidget:
        page = QWidget(self)
        form = self._form(page)
        for name in names:
            self._add_row(form, page, name)
        return page

    def _account_page(self) -> QWidget:
        page = QWidget(self)
        form = self._form(page)
        for name in ACCOUNT[:3]:
            self._add_row(form, page, name)
        self._add_password_row(form, page)
        for name in ACCOUNT[3:]:
            self._add_row(form, page, name)
        return page

    def _add_password_row(self, form: QFormLayout, page: QWidget) -> None:
        self.password = QLineEdit(page)
        self.password.setObjectName("passwordField")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        stored = self.context.secrets.get(SIP_ACCOUNT) is not None
        self.password.setPlaceholderText(
            tr("Saved — type to replace") if stored else tr("Not saved yet"))
        label = QLabel(tr("Password:"), page)
        label.setBuddy(self.password)
        form.addRow(label, self.password)
        if self.context.keyring_available:
            note = tr("Kept in the system keyring, never in a file.")
        else:
            note = tr("No keyring is available on this computer, so the password cannot be "
                      "remembered: it will be asked at each start.")
        self.password_note = self._help(note, page)
        self.password_note.setProperty("warning", not self.context.keyring_available)
        form.addRow("", self.password_note)

    def _audio_page(self) -> QWidget:
        page = QWidget(self)
        form = self._form(page)
        for name in DEVICES:
            combo = QComboBox(page)
            combo.setObjectName(f"setting_{name}")
            combo.setToolTip(tr(setting(name).description))
            self._add_row(form, page, name, combo)
        self.refresh_button = QPushButton(tr("&Refresh devices"), page)
        self.refresh_button.setObjectName("refreshDevices")
        self.refresh_button.setToolTip(tr("Look again for headsets and microphones "
                                          "(they are also noticed by themselves)"))
        self.refresh_button.clicked.connect(self.refresh_devices)
        self.devices_status = self._help("", page)
        self.devices_status.setObjectName("devicesStatus")
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addWidget(self.devices_status, 1)
        form.addRow("", row)
        self.audio_test = AudioTestPanel(self.context, self.bridge, self._devices_to_test, page)
        test_label = QLabel(tr("Test:"), page)
        test_label.setBuddy(self.audio_test.button)
        form.addRow(test_label, self.audio_test)
        self._add_fallback_row(form, page)
        for name in AUDIO_POLICY[1:]:
            editor = make_editor(setting(name), page)
            if name in ("audio.ringtone", "audio.key_account_ringtone"):
                self._add_file_row(form, page, name, editor)
            else:
                self._add_row(form, page, name, editor)
        return page

    def _add_fallback_row(self, form: QFormLayout, page: QWidget) -> None:
        """Comma-separated names, with a menu that appends a connected device."""
        name = "audio.fallback_devices"
        line = make_editor(setting(name), page)
        assert isinstance(line, QLineEdit)
        line.setPlaceholderText(tr("e.g. Laptop speakers, USB microphone"))
        self.fallback_menu = QMenu(page)
        self.fallback_add = QToolButton(page)
        self.fallback_add.setObjectName("addFallbackDevice")
        self.fallback_add.setText(tr("Add…"))
        self.fallback_add.setToolTip(tr("Add a connected device to the end of the list"))
        self.fallback_add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.fallback_add.setMenu(self.fallback_menu)
        holder = QWidget(page)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(line, 1)
        row.addWidget(self.fallback_add)
        self._add_row(form, page, name, line, field=holder)

    def add_fallback(self, device: str) -> None:
        """Append ``device`` to the fallback list unless it is there already."""
        line = self.editors["audio.fallback_devices"]
        assert isinstance(line, QLineEdit)
        names = [n.strip() for n in line.text().split(",") if n.strip()]
        if device not in names:
            line.setText(", ".join([*names, device]))

    def _add_file_row(self, form: QFormLayout, page: QWidget, name: str,
                      editor: QWidget) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setPlaceholderText(tr("Built-in tone"))
        browse = QToolButton(page)
        browse.setObjectName(f"browse_{name}")
        browse.setText(tr("Choose…"))
        browse.setToolTip(tr("Choose a WAV file"))
        browse.clicked.connect(lambda: self._choose_wav(editor))
        holder = QWidget(page)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(editor, 1)
        row.addWidget(browse)
        self._add_row(form, page, name, editor, field=holder)

    def _choose_wav(self, editor: QLineEdit) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, tr("Choose a ringtone"), editor.text(), tr("WAV sound (*.wav)"))
        if path:
            editor.setText(path)

    # ------------------------------------------------------------------ values

    def _load_values(self) -> None:
        for name, editor in self.editors.items():
            if name not in DEVICES:
                set_editor_value(editor, self.settings[name])

    def _devices_changed(self, devices: protocol.DevicesChanged) -> None:
        lists = {"audio.microphone": devices.inputs, "audio.speaker": devices.outputs,
                 "audio.ringer": devices.outputs}
        in_use = {"audio.microphone": devices.microphone, "audio.speaker": devices.speaker,
                  "audio.ringer": devices.ringer}
        for name, names in lists.items():
            combo = self.editors[name]
            assert isinstance(combo, QComboBox)
            wanted = combo.currentData() if combo.count() else self.settings[name]
            combo.clear()
            combo.addItem(tr("System default"), "")
            for device in names:
                combo.addItem(device, device)
            set_editor_value(combo, wanted)
            using = in_use[name]
            self.help_labels[name].setText(
                tr("Now using: {device}").format(device=using) if using
                else tr(setting(name).description))
        self.devices_status.setText("\n".join(devices.warnings))
        self.devices_status.setProperty("warning", bool(devices.warnings))
        self.fallback_menu.clear()
        for device in dict.fromkeys([*devices.outputs, *devices.inputs]):
            action = self.fallback_menu.addAction(device)
            action.triggered.connect(lambda _checked=False, d=device: self.add_fallback(d))
        self.fallback_add.setEnabled(not self.fallback_menu.isEmpty()
                                     and not self.settings.locked("audio.fallback_devices"))

    def _devices_to_test(self) -> tuple[str, str]:
        """The microphone and headset picked on the Audio page (saved or not)."""
        def picked(name: str) -> str:
            combo = self.editors[name]
            assert isinstance(combo, QComboBox)
            return str((combo.currentData() if combo.count() else self.settings[name]) or "")
        return picked("audio.microphone"), picked("audio.speaker")

    def refresh_devices(self) -> None:
        self.devices_status.setText(tr("Looking for devices…"))
        self.context.phone.refresh_devices()

    def changes(self) -> dict[str, SettingValue]:
        """The settings whose edited value differs from the current one; the ones IT
        locked are never among them."""
        return {name: value for name, editor in self.editors.items()
                if not self.settings.locked(name)
                and (value := editor_value(editor)) != self.settings[name]}

    def save(self) -> None:
        """Validate all, store the password in the keyring, then write the settings."""
        changes = self.changes()
        try:
            for name, value in changes.items():
                setting(name).validate(value)
        except UserFacingError as exc:
            self.show_error(str(exc))
            return
        password = self.password.text()
        if password:
            self.context.secrets.set(SIP_ACCOUNT, password)
        for name, value in changes.items():
            self.settings.set(name, value)
        if password and not any(name.startswith("sip.") for name in changes):
            self.context.phone.register()
        self.accept()

    def done(self, result: int) -> None:
        """Closing (saved or not) stops a test of the audio still running."""
        self.audio_test.stop()
        super().done(result)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
