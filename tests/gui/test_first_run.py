"""The first start for an agent: the wizard signs in (password to the keyring), picks
the headset and is not shown again; what IT locked is read-only. The real app objects,
engine included; the keyring is the private gnome-keyring of tests/run.sh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWizard
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.context import AppContext
from softphone.gui import first_run
from softphone.gui.application import PasswordPrompter, SoftphoneGui
from softphone.gui.bridge import PhoneBridge
from softphone.paths import Profile
from softphone.secrets import SIP_ACCOUNT, SecretStore
from tests.gui.harness import PhoneHarness

DEVICES = protocol.DevicesChanged(
    inputs=["Jabra Evolve2 40 Mono", "Built-in Microphone"],
    outputs=["Jabra Evolve2 40 Mono", "Built-in Speakers"],
    microphone="Built-in Microphone", speaker="Built-in Speakers", ringer="Built-in Speakers")


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Profile]:
    system = tmp_path / "etc" / "settings.toml"
    system.parent.mkdir()
    system.write_text('lock = ["sip.uri"]\n[sip]\nuri = "sip:${login}@127.0.0.1:9"\n')
    monkeypatch.setenv("SOFTPHONE_SYSTEM_SETTINGS", str(system))
    yield Profile.from_dir(tmp_path / "profile")
    SecretStore().delete(SIP_ACCOUNT)


@pytest.fixture
def opened(profile: Profile) -> Iterator[list[SoftphoneGui]]:
    guis: list[SoftphoneGui] = []
    yield guis
    for gui in guis:
        gui.shutdown()


def start(profile: Profile, opened: list[SoftphoneGui]) -> SoftphoneGui:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    prompter = PasswordPrompter()
    gui = SoftphoneGui(app, AppContext.create(profile, prompter), prompter)
    opened.append(gui)
    gui.start()
    return gui


def test_wizard_signs_in_picks_the_headset_and_is_not_shown_again(
        qtbot: QtBot, profile: Profile, opened: list[SoftphoneGui]) -> None:
    gui = start(profile, opened)
    wizard = gui.first_run
    assert wizard is not None and wizard.isVisible()
    page = wizard.sign_in
    assert page.address.isReadOnly() and page.address.text().startswith("sip:")
    assert any(label.text() == "Set by your administrator"
               for label in page.findChildren(QLabel))
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(page.password, "s3cret-pw")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()

    wizard.headset.show_devices(DEVICES)  # what the engine reports
    headset = wizard.headset.choices["audio.speaker"]
    assert [headset.itemText(i) for i in range(headset.count())] == [
        "System default", "Jabra Evolve2 40 Mono", "Built-in Speakers"]
    headset.setCurrentIndex(1)
    wizard.headset.choices["audio.microphone"].setCurrentIndex(1)
    wizard.next()
    assert "Jabra Evolve2 40 Mono" in wizard.done_page.summary.text()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # Finish

    qtbot.waitUntil(lambda: gui.first_run is None)  # closed, and deleted
    assert keyring.get_password("softphone", SIP_ACCOUNT) == "s3cret-pw"
    settings = gui.context.settings
    assert settings["audio.speaker"] == settings["audio.microphone"] == "Jabra Evolve2 40 Mono"
    assert not first_run.needed(profile)
    gui.shutdown()

    again = start(profile, opened)
    assert again.first_run is None
    assert again.window.isVisible()


def test_skipping_the_wizard_asks_again_next_time(
        qtbot: QtBot, profile: Profile, opened: list[SoftphoneGui],
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(PasswordPrompter, "__call__",
                        lambda self, reason: asked.append(reason))  # type: ignore[misc]
    gui = start(profile, opened)
    wizard = gui.first_run
    assert wizard is not None
    assert asked == []  # the engine started behind the wizard without prompting
    wizard.reject()
    qtbot.waitUntil(lambda: asked != [])  # skipped: the usual password prompt
    assert first_run.needed(profile)


def test_the_headset_page_tests_the_picked_devices_before_they_are_saved(
        qtbot: QtBot, tmp_path: Path) -> None:
    harness = PhoneHarness(tmp_path / "harness")
    bridge = PhoneBridge(harness.phone)
    try:
        page = first_run.HeadsetPage(harness.context, bridge)
        qtbot.addWidget(page)
        page.show()
        page.show_devices(DEVICES)
        page.choices["audio.speaker"].setCurrentIndex(1)
        page.choices["audio.microphone"].setCurrentIndex(1)
        page.audio_test.button.click()
        assert harness.commands(protocol.StartAudioTest) == [protocol.StartAudioTest(
            3.0, "Jabra Evolve2 40 Mono", "Jabra Evolve2 40 Mono")]
        assert harness.settings["audio.speaker"] == ""  # nothing saved before Finish
        harness.emit(protocol.AudioTestProgress(
            "failed", seconds=3.0, verdict="silent", microphone="Jabra Evolve2 40 Mono",
            message='No sound was heard from "Jabra Evolve2 40 Mono". Check that it is '
                    "plugged in and not muted, then try again."))
        qtbot.waitUntil(page.audio_test.button.isEnabled)
        assert page.audio_test.result.text().startswith("No sound was heard")
    finally:
        bridge.close()
        harness.close()
