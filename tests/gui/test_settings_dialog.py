"""The settings dialog: schema-built fields, devices by name, password to the keyring."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from softphone import protocol
from softphone.gui.bridge import PhoneBridge
from softphone.gui.settings_dialog import SettingsDialog
from softphone.secrets import SIP_ACCOUNT
from softphone.settings import SCHEMA
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
