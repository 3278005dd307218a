"""The CRM client, cache and sync belong to the core: importing them must not load Qt."""

import subprocess
import sys

MODULES = ["softphone.crm.client", "softphone.cache.store", "softphone.sync.service",
           "softphone.sync.commands"]


def test_sync_modules_do_not_import_qt() -> None:
    code = (
        "import sys\n"
        f"for name in {MODULES!r}: __import__(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
