"""Offscreen screenshots of the Outbound tab (dormant customers to call), as agents see it.

    QT_QPA_PLATFORM=offscreen python -m tests.gui.screens_outbound [OUT_DIR]  (default /tmp/screens)

Builds the real app (``SoftphoneGui`` on a real ``AppContext`` in a temporary profile, the
phone engine not started), writes dormant customers into its encrypted cache, two of
today's calls into the history and one wrap-up into the outbox, then shows the tab: the
whole window, and the tab filtered by a phone number.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication

from softphone.agent import WrapUp, call_log
from softphone.context import AppContext
from softphone.crm.schema import Change, Customer, CustomerType, Manager
from softphone.gui.application import create_application
from softphone.gui.dormant_view import DormantView
from softphone.storage.history import HistoryEntry
from tests.gui.app_gui import app_context, softphone_gui
from tests.gui.screens_customer import customer, greek, persian, retail, save, settle


def dormant_customers(now: datetime) -> list[Customer]:
    def quiet(days: int) -> datetime:
        return now - timedelta(days=days)

    return [
        customer(last_order_at=quiet(212), overdue_debt="0", balance="0"),
        retail().model_copy(update={"last_order_at": quiet(260)}),
        greek().model_copy(update={"last_order_at": quiet(430)}),
        persian().model_copy(update={"last_order_at": None}),
        customer(id="C-6001", name="<b>Kovács</b> Ágnes", company="Kovács és Társa Kft.",
                 phones=["+3612345678"], type=CustomerType.RETAIL, region="Budapest",
                 manager=Manager(name="Szabó Péter", extension="2402"),
                 last_order_at=quiet(190), overdue_debt="0", balance="0"),
        customer(id="C-6002", name="Dimitrescu-Vasilescu Alexandra-Gabriela Maria",
                 company="Societatea Comercială de Distribuție Alimentară Transilvania "
                         "Nord-Vest SRL", phones=["+40264595959"], type=CustomerType.REGIONAL,
                 region="Cluj-Napoca", last_order_at=quiet(365), overdue_debt="0",
                 balance="0"),
        customer(id="C-6003", name="Elena Ionescu", company="", phones=[],
                 type=CustomerType.RETAIL, region="Iași", last_order_at=quiet(300),
                 overdue_debt="0", balance="0"),
    ]


def calls_today(context: AppContext) -> None:
    """Two calls this morning: one answered and wrapped up, one not answered."""
    assert context.sync is not None
    morning = datetime.now().astimezone().replace(hour=9, minute=12, second=0).timestamp()
    answered = HistoryEntry("out-1", "outgoing", "", "+842838221234",
                            "sip:+842838221234@pbx.example.com", morning, morning + 8,
                            morning + 250, 242.0, "answered")
    missed = HistoryEntry("out-2", "outgoing", "", "+40213102040",
                          "sip:+40213102040@pbx.example.com", morning + 600, None,
                          morning + 630, 0.0, "no answer")
    context.history.add_many([answered, missed]).result(10)
    context.sync.queue_call_log(call_log(answered, WrapUp("Callback requested", "Monday"),
                                         customer_id="C-1001")).result(10)


def wait_for_rows(app: QApplication, view: DormantView) -> None:
    """The tab reads the cache in the background: wait for its rows."""
    deadline = time.monotonic() + 10.0
    while (view.loading or not view.entries) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    settle(app)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(["screens"])
    with tempfile.TemporaryDirectory() as tmp:
        context = app_context(Path(tmp), {"sip.uri": "sip:1001@pbx.example.com"})
        assert context.sync is not None
        now = datetime.now(UTC)
        changes = [Change(id=c.id, customer=c) for c in dormant_customers(now)]
        context.sync.cache.apply_page(changes, "1", False, frozenset(), now.timestamp()
                                      ).result(30)
        calls_today(context)
        with softphone_gui(context, app) as gui:
            view = gui.window.dormant
            assert view is not None
            gui.window.show()
            gui.window.tabs.setCurrentWidget(view)
            wait_for_rows(app, view)
            save(gui.window, out, "outbound")
            view.filter.setText("0213 102")
            settle(app)
            save(gui.window, out, "outbound-filter")
            view.filter.clear()
            gui.window.resize(1500, gui.window.height())
            settle(app)
            save(gui.window, out, "outbound-wide")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/screens"))
