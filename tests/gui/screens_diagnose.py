"""Offscreen screenshot of the pre-shift check dialog, for looking at the layout by eye.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_diagnose [OUT_DIR]  (default /tmp/screens)

The checks are stand-ins answering what a real run against a half-broken set-up says; one
stays unanswered so the "checking" line shows too.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from softphone.diagnose import Check, Outcome, Status
from softphone.gui.application import create_application
from softphone.gui.diagnose_dialog import DiagnoseDialog
from tests.gui.harness import PhoneHarness

ANSWERS: list[tuple[str, str, Status, str]] = [
    ("configuration", "Configuration", "ok", "sip:1001@pbx.example.com over TLS"),
    ("keyring", "Keyring", "ok", "works; SIP password and CRM token stored"),
    ("audio_devices", "Audio devices", "warning",
     'Headset "Jabra Evolve2 40" is not connected; the app will use "Built-in Speakers" '
     '(microphone "Jabra Evolve2 40 Mono", headset "Built-in Speakers", ringer '
     '"Built-in Speakers")'),
    ("microphone", "Microphone level", "ok",
     '"Jabra Evolve2 40 Mono": sound heard (level -38 dBFS, peak -19 dBFS)'),
    ("sip_server", "SIP server", "ok",
     "pbx.example.com:5061 (203.0.113.10) accepts TLS connections (connected in 18 ms)"),
    ("registration", "Registration", "ok", "registered in 42 ms (1.3 s with the engine's start)"),
    ("tls_certificate", "TLS certificate", "warning",
     "the certificate expires soon (CN=pbx.example.com, issued by CN=Example CA, expires in "
     "9 days)"),
    ("nat", "NAT (STUN)", "ok",
     "behind NAT: this computer is 192.168.1.23:40112, the internet sees 198.51.100.7:61001"),
    ("crm", "CRM", "failed",
     "the CRM refused the token (set a new one with: softphone credentials set crm)"),
    ("cache", "Customer cache", "ok", "48.2 MB; last synced 3 hours ago"),
    ("disk", "Free disk", "ok", "112.4 GB free"),
]


def checks(hold: threading.Event, still_running: str) -> list[Check]:
    def answer(name: str, status: Status, message: str) -> Outcome:
        if name == still_running:
            hold.wait(30)
        return Outcome(status, message)

    return [Check(name, title, lambda n=name, s=status, m=message: answer(n, s, m), 40)
            for name, title, status, message in ANSWERS]


def settle(app: QApplication, dialog: DiagnoseDialog, done: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        app.processEvents()
        shown = sum(1 for i in range(dialog.list.count())
                    if not dialog.list.item(i).text().startswith("…"))
        if shown >= done:
            break
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    hold = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        phone = PhoneHarness(Path(tmp))
        dialog = DiagnoseDialog(phone.context, checks=lambda: checks(hold, "registration"))
        dialog.resize(760, 470)
        dialog.show()
        settle(app, dialog, len(ANSWERS) - 1)
        dialog.grab().save(str(out / "diagnose-running.png"))
        print(out / "diagnose-running.png")
        hold.set()
        settle(app, dialog, len(ANSWERS))
        deadline = time.monotonic() + 5
        while dialog.running and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        dialog.bundle_label.setText(
            f"Support bundle saved to {Path.home() / 'softphone-support-20260501-0912.zip'}")
        app.processEvents()
        dialog.grab().save(str(out / "diagnose-done.png"))
        print(out / "diagnose-done.png")
        dialog.close()
        phone.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens"))
