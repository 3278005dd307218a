"""The core must be usable without Qt: importing any module outside ``softphone.gui`` must
not load PySide6. The modules are found by walking the package, so new ones are covered."""

import pkgutil
import subprocess
import sys

import softphone

#: Alembic runs a migration folder's env.py on import; those are not modules to import.
SKIPPED_PARTS = ("gui", "migrations")
#: ``python -m softphone`` starts the app when imported.
SKIPPED_MODULES = ("softphone.__main__",)


def core_modules() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(softphone.__path__, "softphone.")]
    return [name for name in names
            if not set(name.split(".")) & set(SKIPPED_PARTS) and name not in SKIPPED_MODULES]


def test_walk_finds_the_core() -> None:
    found = core_modules()
    for expected in ("softphone.phone", "softphone.engine.loop", "softphone.sync.service",
                     "softphone.orders.rules", "softphone.crm.server.api", "softphone.cli"):
        assert expected in found
    assert not any(name.startswith("softphone.gui") for name in found)


def test_core_does_not_import_qt() -> None:
    code = (
        "import sys\n"
        f"for name in {core_modules()!r}: __import__(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"core imported Qt modules: {result.stdout}"
