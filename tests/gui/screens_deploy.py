"""Offscreen screenshots of what a new agent sees first: the sign-in wizard's pages, with
the phone address set (and locked) by IT.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_deploy [OUT_DIR]   (default /tmp/screens)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from softphone.context import AppContext
from softphone.gui.application import PasswordPrompter, create_application
from softphone.gui.bridge import PhoneBridge
from softphone.gui.first_run import FirstRunWizard
from softphone.paths import Profile
from tests.gui.screenshots import DEVICES, save, settle


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/screens")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    with tempfile.TemporaryDirectory() as folder:
        system = Path(folder) / "settings.toml"
        system.write_text('lock = ["sip.uri"]\n[sip]\nuri = "sip:${login}@pbx.example.com"\n')
        os.environ["SOFTPHONE_SYSTEM_SETTINGS"] = str(system)
        context = AppContext.create(Profile.from_dir(Path(folder) / "profile"),
                                    PasswordPrompter())
        bridge = PhoneBridge(context.phone)
        wizard = FirstRunWizard(context, bridge)
        wizard.resize(560, 420)
        wizard.show()
        wizard.sign_in.password.setText("secret")
        settle(app)
        save(wizard, out, "first-run-sign-in")
        wizard.next()
        wizard.headset.show_devices(DEVICES)
        settle(app)
        save(wizard, out, "first-run-headset")
        wizard.next()
        settle(app)
        save(wizard, out, "first-run-done")
        wizard.close()
        bridge.close()
        context.close()


if __name__ == "__main__":
    main()
