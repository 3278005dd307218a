"""The first start for an agent: sign in, pick the headset, done. GUI thread.

Shown once per profile, when the agent has no settings of their own yet (``needed``);
finishing it leaves a marker in the profile. What IT has locked is shown read-only with
"Set by your administrator". The headset page has "Test my audio" for the devices picked
on it, before they are saved. The password goes to the keyring (or, without one, is kept
for this session only), never to a file. The wizard is window-modal but does not block
the event loop: the phone engine starts behind it, so the device lists fill in as soon as
it reports them, and finishing signs in at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from softphone import protocol, targets
from softphone.context import AppContext
from softphone.errors import UserFacingError
from softphone.gui.bridge import PhoneBridge
from softphone.gui.settings_dialog import AudioTestPanel
from softphone.paths import Profile
from softphone.secrets import SIP_ACCOUNT

DEVICE_SETTINGS = (("audio.speaker", "Headset"), ("audio.microphone", "Microphone"),
                   ("audio.ringer", "Ringer"))
SYSTEM_DEFAULT = ""


def tr(text: str) -> str:
    return QCoreApplication.translate("FirstRunWizard", text)


def marker_file(profile: Profile) -> Path:
    return profile.config_dir / "first-run-done"


def needed(profile: Profile) -> bool:
    """First start for this agent: no settings of their own and no wizard finished."""
    return not profile.settings_file.exists() and not marker_file(profile).exists()


def locked_note(widget: QWidget) -> QLabel:
    note = QLabel(tr("Set by your administrator"), widget)
    note.setObjectName("lockedNote")
    return note


class SignInPage(QWizardPage):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.uri = str(context.settings["sip.uri"])
        self.setTitle(tr("Sign in"))
        self.setSubTitle(tr("Your phone address and password, as IT gave them to you."))
        settings = context.settings
        self.address = QLineEdit(str(settings["sip.uri"]), self)
        self.address.setObjectName("wizardAddress")
        self.address.setPlaceholderText("sip:1001@pbx.example.com")
        self.address.setReadOnly(settings.locked("sip.uri"))
        self.password = QLineEdit(self)
        self.password.setObjectName("wizardPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel("", self)
        self.problem.setObjectName("fieldError")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(tr("&Phone address"), self.address)
        if self.address.isReadOnly():
            form.addRow("", locked_note(self))
        form.addRow(tr("Pass&word"), self.password)
        if not context.keyring_available:
            warning = QLabel(tr("No keyring is available: the password will be asked at "
                                "each start."), self)
            warning.setWordWrap(True)
            form.addRow("", warning)
        form.addRow("", self.problem)
        self.address.textChanged.connect(self.completeChanged)
        self.password.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return bool(self.address.text().strip() and self.password.text())

    def validatePage(self) -> bool:
        try:
            uri = targets.normalise_dial_target(self.address.text().strip())
        except UserFacingError as exc:
            self.problem.setText(str(exc))
            return False
        if not uri.lower().startswith(("sip:", "sips:")) or "@" not in uri:
            self.problem.setText(tr("The address needs the server after @, e.g. "
                                    "sip:1001@pbx.example.com."))
            return False
        self.uri = uri
        self.problem.setText("")
        return True


class HeadsetPage(QWizardPage):
    def __init__(self, context: AppContext, bridge: PhoneBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setTitle(tr("Your headset"))
        self.setSubTitle(tr("Plug in your headset, then pick it. The lists follow what is "
                            "plugged in."))
        self.choices: dict[str, QComboBox] = {}
        form = QFormLayout(self)
        for name, label in DEVICE_SETTINGS:
            combo = QComboBox(self)
            combo.setObjectName(f"wizard_{name.replace('.', '_')}")
            combo.setEnabled(not context.settings.locked(name))
            self.choices[name] = combo
            form.addRow(tr(label), combo)
            if not combo.isEnabled():
                form.addRow("", locked_note(self))
        self.hint = QLabel(tr("Waiting for the list of sound devices…"), self)
        self.hint.setWordWrap(True)
        form.addRow("", self.hint)
        # The test uses the devices picked here without saving them: nothing changes
        # until Finish, so Back or Cancel leave the settings as they were.
        self.audio_test = AudioTestPanel(context, bridge, self.devices_to_test, self)
        form.addRow(tr("Try it"), self.audio_test)
        bridge.devices_changed.connect(self.show_devices)
        self.show_devices(context.phone.snapshot().devices)

    def show_devices(self, devices: protocol.DevicesChanged) -> None:
        """Fill the lists, keeping what the agent picked (or the current setting)."""
        if devices.inputs or devices.outputs:
            self.hint.setText(tr("Your headset is used for calls; the ringer can be "
                                 "the computer's speakers so you hear calls without it."))
        for name, combo in self.choices.items():
            names = devices.inputs if name == "audio.microphone" else devices.outputs
            keep = combo.currentData() if combo.count() else self.context.settings[name]
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(tr("System default"), SYSTEM_DEFAULT)
            for device in names:
                combo.addItem(device, device)
            index = combo.findData(keep)
            if index < 0 and keep:
                combo.addItem(tr("{name} (not plugged in)").format(name=keep), keep)
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def devices_to_test(self) -> tuple[str, str]:
        """The microphone and headset picked on this page ("" for the system default)."""
        def value(name: str) -> str:
            combo = self.choices[name]
            return str((combo.currentData() if combo.count() else
                        self.context.settings[name]) or "")
        return value("audio.microphone"), value("audio.speaker")

    def picked(self) -> dict[str, str]:
        return {name: str(combo.currentData() or "") for name, combo in self.choices.items()
                if combo.isEnabled()}


class DonePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(tr("Ready"))
        self.summary = QLabel("", self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        QVBoxLayout(self).addWidget(self.summary)


class FirstRunWizard(QWizard):
    """Sign in, headset, done (see the module docstring)."""

    def __init__(self, context: AppContext, bridge: PhoneBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(tr("Welcome to Softphone"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setMinimumSize(560, 460)  # the headset page's test result fits without clipping
        self.context = context
        self.sign_in = SignInPage(context, self)
        self.headset = HeadsetPage(context, bridge, self)
        self.done_page = DonePage(self)
        for page in (self.sign_in, self.headset, self.done_page):
            self.addPage(page)
        self.currentIdChanged.connect(self._page_shown)

    def _page_shown(self, _page_id: int) -> None:
        if self.currentPage() is self.done_page:
            picked = self.headset.picked()
            headset = picked.get("audio.speaker") or tr("the system default")
            self.done_page.summary.setText(
                tr("You will sign in as {address} and hear calls on {headset}. Press "
                   "Finish to start taking calls.").format(
                    address=self.sign_in.uri, headset=headset))

    def done(self, result: int) -> None:
        """Finishing or cancelling stops a test of the audio still running."""
        self.headset.audio_test.stop()
        super().done(result)

    def accept(self) -> None:
        """Keep what was entered, sign in, and never show the wizard again."""
        settings = self.context.settings
        if not settings.locked("sip.uri") and self.sign_in.uri != settings["sip.uri"]:
            settings.set("sip.uri", self.sign_in.uri)
        for name, value in self.headset.picked().items():
            if value != settings[name]:
                settings.set(name, value)
        # Without a keyring this keeps it for this session only.
        self.context.secrets.set(SIP_ACCOUNT, self.sign_in.password.text())
        marker = marker_file(self.context.profile)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        self.context.phone.register()
        super().accept()
