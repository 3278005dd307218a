"""The core must be usable without Qt: importing it must not load PySide6."""

import subprocess
import sys

CORE_MODULES = [
    "softphone.protocol", "softphone.settings", "softphone.phone", "softphone.supervisor",
    "softphone.context", "softphone.control", "softphone.cli", "softphone.secrets",
    "softphone.storage.history", "softphone.targets", "softphone.logs",
    "softphone.engine.__main__",
]


def test_core_does_not_import_qt() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE_MODULES!r}: __import__(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"core imported Qt modules: {result.stdout}"
