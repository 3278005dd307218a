"""Offscreen screenshots of the main screens, for looking at the layout by eye.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screenshots [OUT_DIR]   (default /tmp/screens)

Uses the same real, unstarted phone as the tests (``tests.gui.harness``).
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from softphone import protocol
from softphone.gui.application import create_application
from softphone.gui.bridge import PhoneBridge
from softphone.gui.first_run import FirstRunWizard
from softphone.gui.incoming import IncomingCallManager
from softphone.gui.main_window import MainWindow
from softphone.gui.settings_dialog import SettingsDialog
from softphone.gui.shortcuts import ShortcutsDialog
from softphone.gui.status import add_audio_notice
from softphone.settings import Settings
from tests.gui.harness import FakeClock, PhoneHarness

DEVICES = protocol.DevicesChanged(
    inputs=["Jabra Evolve2 40 Mono", "Built-in Microphone"],
    outputs=["Jabra Evolve2 40 Mono", "Built-in Speakers", "HDMI Output (Dell U2720Q)"],
    microphone="Jabra Evolve2 40 Mono", speaker="Jabra Evolve2 40 Mono",
    ringer="Built-in Speakers",
)


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def wait_for_history(app: QApplication, window: MainWindow) -> None:
    """The History tab reads the database in the background: wait for its rows."""
    deadline = time.monotonic() + 5.0
    while window.history.loading and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, out: Path, name: str) -> None:
    widget.grab().save(str(out / f"{name}.png"))
    print(out / f"{name}.png")


def make_history(phone: PhoneHarness) -> None:
    phone.ring("h1", "Nguyễn Thị Mai", "+84 28 3822 1234")
    phone.connect("h1")
    phone.hang_up("h1")
    phone.ring("h2", "", "+40 21 310 2040")
    phone.hang_up("h2")
    phone.ring("h3", "Kovács Ágnes", "+36 1 234 5678")
    phone.connect("h3")
    phone.hang_up("h3")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    with tempfile.TemporaryDirectory() as tmp:
        phone = PhoneHarness(Path(tmp))
        phone.settings.set("sip.uri", "sip:1001@pbx.example.com")
        bridge = PhoneBridge(phone.phone)
        clock = FakeClock()
        window = MainWindow(phone.context, bridge, clock=clock)
        incoming = IncomingCallManager(bridge, window.calls)
        window.show()
        phone.register()
        phone.emit(DEVICES)
        make_history(phone)
        wait_for_history(app, window)
        settle(app)
        save(window, out, "main-idle")

        window.tabs.setCurrentIndex(1)
        settle(app)
        save(window, out, "main-history")
        window.tabs.setCurrentIndex(0)

        phone.register("failed", "authentication failed", 401)
        phone.emit(protocol.DevicesChanged(
            DEVICES.inputs, DEVICES.outputs, "Built-in Microphone", "Built-in Speakers",
            "Built-in Speakers",
            ['Microphone "Jabra Evolve2 40 Mono" is not connected; using "Built-in Microphone" '
             'instead.']))
        settle(app)
        save(window, out, "main-failed-warning")
        phone.register("registering", "no answer yet", 0)
        window.redial_last()  # nothing dialled yet: said under the number field
        settle(app)
        save(window, out, "main-registering-no-answer")
        window.show_dial_error("")
        phone.register()
        phone.emit(DEVICES)
        shortcuts = ShortcutsDialog(window)
        shortcuts.show()
        settle(app)
        save(shortcuts, out, "shortcuts")
        shortcuts.close()

        phone.ring("c1", "Αλέξανδρος Παπαδόπουλος", "+30 210 555 0199")
        settle(app)
        for call_id, popup in incoming.windows.items():
            save(popup, out, f"incoming-{call_id}")
        save(window, out, "main-ringing")

        phone.connect("c1")
        clock.advance(205)
        window.tick()
        phone.emit(protocol.AudioLevels(0.62, 0.35),
                   protocol.StreamStats("c1", "opus", 9800, 12, 14.0, 38.0, 9790))
        phone.ring("c2", "محمد رضا حسینی", "+98 21 8888 7777")
        settle(app)
        for call_id, popup in incoming.windows.items():
            save(popup, out, f"incoming-{call_id}")
        save(window, out, "main-in-call-second-ringing")

        phone.hold("c1")
        phone.connect("c2")
        window.toggle_keypad()
        phone.emit(protocol.MuteChanged(True), protocol.AudioLevels(0.0, 0.4))
        settle(app)
        save(window, out, "main-in-call-hold-keypad")

        phone.ring("c3", "<b>Boss</b><img src=x> " + "Very Long Display Name " * 6,
                   "+1 555 0100 " * 3)
        settle(app)
        save(incoming.windows["c3"], out, "incoming-long-markup")
        save(window, out, "main-long-names")

        phone.crash()
        phone.restart()
        settle(app)
        save(window, out, "main-engine-restarted")

        dialog = SettingsDialog(phone.context, bridge, window)
        dialog.show()
        for index in range(dialog.tabs.count()):
            dialog.tabs.setCurrentIndex(index)
            settle(app)
            save(dialog, out, f"settings-{index}")
        dialog.close()

        # The headset unplugged mid-call: the audio page and the status-bar notice.
        add_audio_notice(bridge, window.statusBar())
        phone.settings.set("audio.speaker", "Jabra Evolve2 40 Mono")
        phone.settings.set("audio.fallback_devices", "Built-in Speakers, Built-in Microphone")
        phone.emit(
            protocol.AudioDeviceSwitched(
                "speaker", "unplugged", "Jabra Evolve2 40 Mono", "Jabra Evolve2 40 Mono",
                "Built-in Speakers",
                'Headset "Jabra Evolve2 40 Mono" unplugged — using "Built-in Speakers".'),
            protocol.DevicesChanged(
                ["Built-in Microphone"], ["Built-in Speakers", "HDMI Output (Dell U2720Q)"],
                "Built-in Microphone", "Built-in Speakers", "Built-in Speakers",
                ['Headset "Jabra Evolve2 40 Mono" is not connected; using "Built-in Speakers" '
                 'instead.'], ["Built-in Speakers"], True))
        dialog = SettingsDialog(phone.context, bridge, window)
        dialog.show()
        dialog.tabs.setCurrentIndex(1)
        settle(app)
        save(dialog, out, "settings-audio-headset-unplugged")
        dialog.close()
        settle(app)
        save(window, out, "main-headset-unplugged")

        phone.emit(DEVICES)
        audio_test_screens(app, phone, bridge, window, out)
        locked_screens(app, phone, bridge, window, Path(tmp), out)

        # A silent microphone in the first seconds of a call.
        phone.ring("c9", "Jane Customer", "+1 555 0142")
        phone.connect("c9")
        phone.emit(protocol.MicrophoneCheck(
            "c9", "silent", "Your microphone is silent: the caller may not hear you. Check "
                            "that it is plugged in and not muted."))
        settle(app)
        save(window, out, "main-microphone-silent")
        bridge.close()
        phone.close()


def audio_test_screens(app: QApplication, phone: PhoneHarness, bridge: PhoneBridge,
                       window: MainWindow, out: Path) -> None:
    """"Test my audio" while recording and with a verdict, in the settings and the wizard."""
    dialog = SettingsDialog(phone.context, bridge, window)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    panel = dialog.audio_test
    panel.start()
    phone.emit(protocol.AudioTestProgress("recording", 0.55, 1.2, 3.0,
                                          microphone="Jabra Evolve2 40 Mono",
                                          speaker="Jabra Evolve2 40 Mono"))
    settle(app)
    save(dialog, out, "settings-audio-test-recording")
    phone.emit(protocol.AudioTestProgress(
        "done", 0.0, 3.0, 3.0, "too_quiet",
        'Your voice is very quiet on "Jabra Evolve2 40 Mono". Bring the microphone closer '
        "to your mouth or turn its level up.", "Jabra Evolve2 40 Mono",
        "Jabra Evolve2 40 Mono"))
    settle(app)
    save(dialog, out, "settings-audio-test-too-quiet")
    dialog.close()

    wizard = FirstRunWizard(phone.context, bridge, window)
    wizard.show()
    wizard.sign_in.password.setText("pw")
    wizard.next()
    wizard.headset.show_devices(DEVICES)
    wizard.headset.audio_test.start()
    phone.emit(protocol.AudioTestProgress("playing", 0.4, 1.0, 3.0,
                                          microphone="Jabra Evolve2 40 Mono",
                                          speaker="Jabra Evolve2 40 Mono"))
    settle(app)
    save(wizard, out, "first-run-headset-test-playing")
    phone.emit(protocol.AudioTestProgress(
        "done", 0.0, 3.0, 3.0, "ok",
        'Your microphone works: you heard yourself on "Jabra Evolve2 40 Mono".',
        "Jabra Evolve2 40 Mono", "Jabra Evolve2 40 Mono"))
    settle(app)
    save(wizard, out, "first-run-headset-test-done")
    wizard.reject()


def locked_screens(app: QApplication, phone: PhoneHarness, bridge: PhoneBridge,
                   window: MainWindow, tmp: Path, out: Path) -> None:
    """The settings dialog when IT locked the SIP address and every audio setting."""
    system = tmp / "etc" / "settings.toml"
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text('lock = ["sip.uri", "audio.*"]\n[sip]\nuri = "sip:2001@pbx.corp.example"\n'
                      '[audio]\nmicrophone = "Jabra Evolve2 40 Mono"\n'
                      'speaker = "Jabra Evolve2 40 Mono"\nring_on = "both"\n')
    settings = Settings(phone.settings.user_file, system)
    context = dataclasses.replace(phone.context, settings=settings)
    dialog = SettingsDialog(context, bridge, window)
    dialog.show()
    for index, name in ((0, "account"), (1, "audio")):
        dialog.tabs.setCurrentIndex(index)
        settle(app)
        save(dialog, out, f"settings-locked-{name}")
    dialog.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens"))
