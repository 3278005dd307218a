"""The settings dialog: schema-built fields, devices by name, password to the keyring,
"Test my audio", and settings IT locked shown read-only and never saved."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.context import AppContext
from softphone.gui.bridge import PhoneBridge
from softphone.gui.settings_dialog import SettingsDialog
from softphone.paths import system_settings_file
from softphone.secrets import SIP_ACCOUNT
from softphone.settings import SCHEMA, Settings
from tests.gui.harness import PhoneHarness

DEVICES = protocol.DevicesChanged(["Jabra Mic", "Built-in Mic"], ["Jabra", "Speakers"],
                                  "Jabra Mic", "Jabra", "Speakers")


def make_dialog(qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge) -> SettingsDialog:
    dialog = SettingsDialog(harness.context, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_every_setting_has_a_field_with_its_description(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    assert set(dialog.editors) == {spec.name for spec in SCHEMA}
    transport = dialog.editors["sip.transport"]
    assert isinstance(transport, QComboBox)
    assert [transport.itemData(i) for i in range(transport.count())] == ["udp", "tcp", "tls"]
    assert isinstance(dialog.editors["sip.tls_verify"], QCheckBox)
    auto_answer = dialog.editors["calls.auto_answer_seconds"]
    assert isinstance(auto_answer, QSpinBox)
    assert auto_answer.minimum() == -1 and auto_answer.text() == "Off"
    assert dialog.editors["sip.uri"].toolTip().startswith("Your SIP address")


def test_saving_writes_changed_settings_and_the_password_goes_to_the_secret_store(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    uri = dialog.editors["sip.uri"]
    assert isinstance(uri, QLineEdit)
    uri.setText("sip:1001@pbx.example.com")
    dialog.password.setText("s3cret-pw")
    auto_answer = dialog.editors["calls.auto_answer_seconds"]
    assert isinstance(auto_answer, QSpinBox)
    auto_answer.setValue(3)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert harness.settings["sip.uri"] == "sip:1001@pbx.example.com"
    assert harness.settings["calls.auto_answer_seconds"] == 3
    assert harness.context.secrets.get(SIP_ACCOUNT) == "s3cret-pw"
    assert "s3cret-pw" not in harness.settings.user_file.read_text()
    assert harness.commands(protocol.Register)  # a changed account registers again
    harness.context.secrets.delete(SIP_ACCOUNT)


def test_keyring_note_says_plainly_what_happens(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    harness.context.keyring_available = False
    dialog = make_dialog(qtbot, harness, bridge)
    assert "asked at each start" in dialog.password_note.text()


def test_devices_are_listed_and_stored_by_name(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    harness.settings.set("audio.speaker", "Old Headset")
    dialog = make_dialog(qtbot, harness, bridge)
    harness.emit(DEVICES)
    microphone = dialog.editors["audio.microphone"]
    speaker = dialog.editors["audio.speaker"]
    assert isinstance(microphone, QComboBox) and isinstance(speaker, QComboBox)
    qtbot.waitUntil(lambda: microphone.count() == 3)
    assert [microphone.itemText(i) for i in range(3)] == ["System default", "Jabra Mic",
                                                          "Built-in Mic"]
    assert speaker.currentText() == "Old Headset (not connected)"
    assert dialog.help_labels["audio.microphone"].text() == "Now using: Jabra Mic"
    microphone.setCurrentIndex(2)
    dialog.save()
    assert harness.settings["audio.microphone"] == "Built-in Mic"
    assert harness.settings["audio.speaker"] == "Old Headset"
    assert protocol.SetDevices("Built-in Mic", "Old Headset", "") in harness.sent


def test_refresh_button_asks_the_engine_for_devices(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    dialog.refresh_button.click()
    assert harness.commands(protocol.RefreshDevices) == [protocol.RefreshDevices()]


HEADSET_GONE = protocol.DevicesChanged(
    ["Built-in Mic"], ["Speakers"], "Built-in Mic", "Speakers", "Speakers",
    ['Headset "Jabra" is not connected; using "Speakers" instead.'], ["Speakers"], True)


def test_device_lists_follow_the_engine_live(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    harness.settings.set("audio.speaker", "Jabra")
    dialog = make_dialog(qtbot, harness, bridge)
    harness.emit(DEVICES)
    speaker = dialog.editors["audio.speaker"]
    assert isinstance(speaker, QComboBox)
    qtbot.waitUntil(lambda: speaker.count() == 3)
    assert speaker.currentText() == "Jabra"
    harness.emit(HEADSET_GONE)  # unplugged while the dialog is open
    qtbot.waitUntil(lambda: "Speakers" in dialog.help_labels["audio.speaker"].text())
    assert [speaker.itemText(i) for i in range(speaker.count())] == [
        "System default", "Speakers", "Jabra (not connected)"]
    assert speaker.currentData() == "Jabra"  # the choice is kept for when it returns
    assert '"Jabra" is not connected' in dialog.devices_status.text()
    harness.emit(DEVICES)
    qtbot.waitUntil(lambda: speaker.currentText() == "Jabra")
    assert dialog.devices_status.text() == ""


def test_fallback_list_and_ringing_are_edited_on_the_audio_page(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    harness.emit(DEVICES)
    audio_page = dialog.tabs.widget(1)
    for name in ("audio.fallback_devices", "audio.return_to_headset", "audio.ring_on",
                 "audio.ring_volume", "audio.ringtone", "audio.key_account_ringtone"):
        assert audio_page.isAncestorOf(dialog.editors[name]), name
    qtbot.waitUntil(lambda: not dialog.fallback_menu.isEmpty())
    menu = [action.text() for action in dialog.fallback_menu.actions()]
    assert menu == ["Jabra", "Speakers", "Jabra Mic", "Built-in Mic"]
    dialog.fallback_menu.actions()[1].trigger()
    dialog.fallback_menu.actions()[3].trigger()
    dialog.fallback_menu.actions()[1].trigger()  # not twice
    ring_on = dialog.editors["audio.ring_on"]
    volume = dialog.editors["audio.ring_volume"]
    back = dialog.editors["audio.return_to_headset"]
    assert isinstance(ring_on, QComboBox) and isinstance(volume, QSpinBox)
    assert isinstance(back, QCheckBox)
    ring_on.setCurrentIndex(ring_on.findData("both"))
    volume.setValue(45)
    back.setChecked(False)
    assert volume.suffix() == " %"
    harness.sent.clear()
    dialog.save()
    assert harness.settings["audio.fallback_devices"] == "Speakers, Built-in Mic"
    assert (harness.settings["audio.ring_on"], harness.settings["audio.ring_volume"]) == (
        "both", 45)
    policy = harness.commands(protocol.SetAudioPolicy)[-1]
    assert policy == protocol.SetAudioPolicy(["Speakers", "Built-in Mic"], False, "both", 45)


# --------------------------------------------------------------------------- Test my audio


def test_test_my_audio_tests_the_devices_on_screen_and_shows_levels_and_the_verdict(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    dialog.tabs.setCurrentIndex(1)
    harness.emit(DEVICES)
    microphone = dialog.editors["audio.microphone"]
    assert isinstance(microphone, QComboBox)
    qtbot.waitUntil(lambda: microphone.count() == 3)
    microphone.setCurrentIndex(1)  # picked, not saved
    panel = dialog.audio_test
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    assert harness.commands(protocol.StartAudioTest) == [
        protocol.StartAudioTest(3.0, "Jabra Mic", "")]
    assert not panel.button.isEnabled()
    harness.emit(protocol.AudioTestProgress("recording", 0.62, 1.0, 3.0,
                                            microphone="Jabra Mic", speaker="Jabra"))
    qtbot.waitUntil(lambda: panel.meter.level() == 62)
    assert panel.meter.title.text() == "Recording"
    assert panel.result.text() == "Speak now… 2 s left"
    harness.emit(protocol.AudioTestProgress("playing", 0.4, 0.5, 3.0,
                                            microphone="Jabra Mic", speaker="Jabra"))
    qtbot.waitUntil(lambda: panel.meter.title.text() == "Playing back")
    assert panel.result.text() == "Listen: playing back on Jabra…"
    harness.emit(protocol.AudioTestProgress(
        "done", 0.0, 3.0, 3.0, "clipping",
        '"Jabra Mic" is too loud: your voice distorts. Turn its level down.', "Jabra Mic",
        "Jabra"))
    qtbot.waitUntil(panel.button.isEnabled)
    assert panel.result.text().startswith('"Jabra Mic" is too loud')
    assert panel.result.property("level") == "warning"
    assert panel.meter.level() == 0 and panel.button.text() == "&Test again"


def test_test_my_audio_is_refused_during_a_call_and_closing_stops_a_running_test(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge
) -> None:
    dialog = make_dialog(qtbot, harness, bridge)
    harness.ring("c1", "Jane", "+15550100")
    dialog.audio_test.button.click()
    assert "cannot be tested during a call" in dialog.audio_test.result.text()
    assert not harness.commands(protocol.StartAudioTest)
    harness.hang_up("c1")
    dialog.audio_test.button.click()
    assert harness.commands(protocol.StartAudioTest)
    dialog.reject()
    assert harness.commands(protocol.StopAudioTest) == [protocol.StopAudioTest()]


# --------------------------------------------------------------------------- locked settings


@pytest.fixture
def locked_context(harness: PhoneHarness, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """The harness's context with a real system-wide file that locks some settings."""
    system = tmp_path / "etc" / "softphone" / "settings.toml"
    system.parent.mkdir(parents=True)
    system.write_text('lock = ["sip.uri", "audio.*"]\n'
                      '[sip]\nuri = "sip:2001@pbx.corp.example"\n'
                      '[audio]\nmicrophone = "Jabra Mic"\nring_volume = 60\n')
    monkeypatch.setenv("SOFTPHONE_SYSTEM_SETTINGS", str(system))
    user_file = harness.settings.user_file
    user_file.parent.mkdir(parents=True, exist_ok=True)
    user_file.write_text('[audio]\nmicrophone = "Built-in Mic"\n[calls]\ndefault_region = "DE"\n')
    settings = Settings(user_file, system_settings_file())
    assert settings.locked("sip.uri") and settings.locked("audio.ring_volume")
    harness.phone.settings = settings
    return dataclasses.replace(harness.context, settings=settings)


def test_locked_settings_are_read_only_and_say_set_by_your_administrator(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, locked_context: AppContext
) -> None:
    dialog = SettingsDialog(locked_context, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    harness.emit(DEVICES)
    settings = locked_context.settings
    locked = {spec.name for spec in SCHEMA if settings.locked(spec.name)}
    assert "sip.uri" in locked and "audio.fallback_devices" in locked
    assert set(dialog.locked_notes) == locked
    for name in locked:
        editor = dialog.editors[name]
        assert not editor.isEnabled(), name
        note = dialog.locked_notes[name]
        assert note.text() == "Set by your administrator"
        assert not note.isHidden()
    for name in set(dialog.editors) - locked:
        assert dialog.editors[name].isEnabled(), name
    uri = dialog.editors["sip.uri"]
    assert isinstance(uri, QLineEdit) and uri.text() == "sip:2001@pbx.corp.example"
    assert dialog.locked_notes["sip.uri"].isVisible()  # the Account page is shown first
    microphone = dialog.editors["audio.microphone"]
    assert isinstance(microphone, QComboBox)
    qtbot.waitUntil(lambda: microphone.count() == 3)
    assert microphone.currentData() == "Jabra Mic"  # IT's choice, not the user's file
    assert not dialog.fallback_add.isEnabled()
    assert dialog.audio_test.button.isEnabled()  # testing changes nothing


def test_saving_never_tries_to_change_a_locked_setting(
    qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge, locked_context: AppContext,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = SettingsDialog(locked_context, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    settings = locked_context.settings
    written: list[str] = []
    real_set = settings.set
    monkeypatch.setattr(settings, "set",
                        lambda name, value: (written.append(name), real_set(name, value)))
    # Even if a locked editor were changed behind the agent's back, it is not saved.
    uri = dialog.editors["sip.uri"]
    volume = dialog.editors["audio.ring_volume"]
    assert isinstance(uri, QLineEdit) and isinstance(volume, QSpinBox)
    uri.setText("sip:9999@elsewhere.example")
    volume.setValue(100)
    region = dialog.editors["calls.default_region"]
    assert isinstance(region, QLineEdit)
    region.setText("FR")
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert written == ["calls.default_region"]
    assert settings["sip.uri"] == "sip:2001@pbx.corp.example"
    assert settings["audio.ring_volume"] == 60
    text = settings.user_file.read_text()
    assert "elsewhere" not in text and "ring_volume" not in text and 'FR' in text
