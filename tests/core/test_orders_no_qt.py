"""The order rules are core: importing them must not load Qt."""

import subprocess
import sys

ORDER_MODULES = ["softphone.orders.pricing", "softphone.orders.draft", "softphone.orders.rules",
                 "softphone.orders.suggestions", "softphone.orders.catalogue",
                 "softphone.orders.drafts"]


def test_the_order_modules_do_not_import_qt() -> None:
    code = (
        "import sys\n"
        f"for name in {ORDER_MODULES!r}: __import__(name)\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"order modules imported Qt: {result.stdout}"
