"""Offscreen screenshots of the whole main window with the customer desk, as agents see it.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_desk [OUT_DIR]   (default /tmp/screens)

Builds the real app (``SoftphoneGui`` on a real ``AppContext`` in a temporary profile, the
phone engine not started) and feeds the desk a caller's card and an order.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from softphone.gui.application import create_application
from softphone.orders.catalogue import Catalogue
from tests.gui.app_gui import app_context, softphone_gui
from tests.gui.screens_customer import (
    customer,
    fill_order,
    pop,
    price_lists,
    products,
    save,
    settle,
)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    with tempfile.TemporaryDirectory() as tmp:
        context = app_context(Path(tmp), {"sip.uri": "sip:1001@pbx.example.com"})
        with softphone_gui(context, app) as gui:
            assert gui.desk is not None
            gui.window.show()
            gui.desk.workspace.set_catalogue(Catalogue(products()), price_lists())
            settle(app)
            save(gui.window, out, "desk-idle")
            gui.desk.workspace.show_lookup(pop([customer(overdue_debt="0", overpayment="0")]))
            settle(app)
            save(gui.window, out, "desk-card")
            gui.desk.workspace.open_order_form()
            fill_order(gui.desk.workspace.order_form)
            settle(app)
            save(gui.window, out, "desk-order")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens"))
