"""Offscreen screenshots of the order form offering the products usual for the caller's
type, in the whole main window as agents see it.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_usual [OUT_DIR]   (default /tmp/screens)

Builds the real app (``SoftphoneGui`` on a real ``AppContext`` in a temporary profile, the
phone engine not started), gives the desk the catalogue with what retail customers usually
order, and opens the order form for a retail caller.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from softphone.crm.schema import CustomerType
from softphone.gui.application import create_application
from softphone.orders.catalogue import Catalogue
from tests.gui.app_gui import app_context, softphone_gui
from tests.gui.screens_customer import orders, pop, price_lists, products, retail, save, settle

USUAL = {CustomerType.RETAIL: ["ZAC-1", "FETA-1", "RICE-25"],
         CustomerType.KEY: ["NM-500", "RICE-25"]}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    with tempfile.TemporaryDirectory() as tmp:
        context = app_context(Path(tmp), {"sip.uri": "sip:1001@pbx.example.com"})
        with softphone_gui(context, app) as gui:
            assert gui.desk is not None
            workspace = gui.desk.workspace
            gui.window.show()
            workspace.set_catalogue(Catalogue(products()), price_lists(), USUAL)
            workspace.show_lookup(pop([retail()], number="+40 21 310 2040",
                                      recent_orders=orders("C-2040"), recent_calls=[]))
            workspace.open_order_form()
            form = workspace.order_form
            nuoc_mam = form.catalogue.get("NM-500")
            assert nuoc_mam is not None
            form.add_product(nuoc_mam)
            form.suggestion_list.setFocus()
            form.suggestion_list.setCurrentRow(3)
            settle(app)
            save(gui.window, out, "desk-order-usual-for-type")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens"))
