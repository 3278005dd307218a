"""The pre-shift check dialog: results appear as each check finishes (worker thread),
plain text, copy, and the support bundle saved where the agent chose."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.diagnose import Check, CheckResult, Outcome
from softphone.gui.diagnose_dialog import DiagnoseDialog
from softphone.gui.main_window import MainWindow
from tests.gui.harness import PhoneHarness


def _checks(release: threading.Event, gui_thread: list[bool]) -> list[Check]:
    def quick() -> Outcome:
        gui_thread.append(threading.current_thread() is threading.main_thread())
        return Outcome("ok", "<b>sip:agent@pbx</b> over UDP")

    def slow() -> Outcome:
        release.wait(10)
        return Outcome("failed", "nothing answers SIP at pbx:5060")

    return [Check("configuration", "Configuration", quick, 5),
            Check("sip_server", "SIP server", slow, 15),
            Check("nat", "NAT (STUN)", lambda: Outcome("skipped", "no STUN server"), 5)]


def test_results_show_as_they_finish_in_plain_text(qtbot: QtBot, harness: PhoneHarness) -> None:
    release = threading.Event()
    on_gui: list[bool] = []
    dialog = DiagnoseDialog(harness.context, checks=lambda: _checks(release, on_gui))
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        qtbot.waitUntil(lambda: dialog.list.count() == 3
                        and dialog.list.item(0).text().startswith("✓"), timeout=5000)
        assert dialog.list.item(1).text() == "…  SIP server: checking"
        assert dialog.running and not dialog.copy_button.isEnabled()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=5000)
    assert on_gui == [False]
    lines = [dialog.list.item(i).text() for i in range(3)]
    assert lines == ["✓ Configuration: <b>sip:agent@pbx</b> over UDP",
                     "✗ SIP server: nothing answers SIP at pbx:5060",
                     "- NAT (STUN): no STUN server"]
    assert dialog.summary.text().startswith("1 check(s) failed")
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.report_text()
    assert "✗ SIP server: nothing answers SIP at pbx:5060" in dialog.report_text()


def test_support_bundle_saved_where_chosen(qtbot: QtBot, harness: PhoneHarness,
                                           tmp_path: Path) -> None:
    made: list[tuple[Path, Sequence[CheckResult] | None]] = []

    def make(path: Path, results: Sequence[CheckResult] | None) -> Path:
        assert threading.current_thread() is not threading.main_thread()
        made.append((path, results))
        path.write_bytes(b"zip")
        return path

    dialog = DiagnoseDialog(
        harness.context, make_bundle=make, ask_path=lambda: str(tmp_path / "for-it"),
        checks=lambda: [Check("disk", "Free disk", lambda: Outcome("ok", "9 GB free"), 5)])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.results), timeout=5000)
    dialog.bundle_button.click()
    qtbot.waitUntil(lambda: not dialog.bundling, timeout=5000)
    assert made[0][0] == tmp_path / "for-it.zip"
    assert [r.name for r in made[0][1] or []] == ["disk"]
    assert dialog.bundle_label.text() == f"Support bundle saved to {tmp_path / 'for-it.zip'}"


def test_real_bundle_from_the_dialog(qtbot: QtBot, harness: PhoneHarness,
                                     tmp_path: Path) -> None:
    logs = harness.context.profile.log_dir
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "softphone.log").write_text("call from \"Ann Other\" <sip:2125550100@pbx>\n")
    target = tmp_path / "bundle.zip"
    dialog = DiagnoseDialog(
        harness.context, ask_path=lambda: str(target),
        checks=lambda: [Check("disk", "Free disk", lambda: Outcome("ok", "9 GB free"), 5)])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.results), timeout=5000)
    dialog.create_bundle()
    qtbot.waitUntil(lambda: not dialog.bundling, timeout=20000)
    assert dialog.bundle_label.text() == f"Support bundle saved to {target}"
    with zipfile.ZipFile(target) as bundle:
        log_text = bundle.read("logs/softphone.log").decode()
        assert "✓ Free disk: 9 GB free" in bundle.read("diagnose.txt").decode()
    assert "Ann Other" not in log_text and "2125550100" not in log_text


def test_help_menu_opens_the_check(qtbot: QtBot, window: MainWindow) -> None:
    help_menu = window.menuBar().actions()[-1].menu()
    assert help_menu is not None
    names = [a.objectName() for a in help_menu.actions()]  # type: ignore[union-attr]
    assert {"preShiftCheckAction", "supportBundleAction"} <= set(names)
    opened: list[bool] = []
    window.open_diagnose = lambda bundle=False: opened.append(bundle)  # type: ignore[method-assign]
    for action in help_menu.actions():  # type: ignore[union-attr]
        if action.objectName() in ("preShiftCheckAction", "supportBundleAction"):
            action.trigger()
    assert opened == [False, True]
    QApplication.processEvents()


def test_bundle_asked_during_the_check_waits_for_its_report(
        qtbot: QtBot, harness: PhoneHarness, tmp_path: Path) -> None:
    release = threading.Event()
    made: list[Sequence[CheckResult] | None] = []

    def make(path: Path, results: Sequence[CheckResult] | None) -> Path:
        made.append(results)
        return path

    dialog = DiagnoseDialog(harness.context, make_bundle=make,
                            ask_path=lambda: str(tmp_path / "b.zip"),
                            checks=lambda: _checks(release, []))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.create_bundle()
    assert dialog.bundling and not made
    release.set()
    qtbot.waitUntil(lambda: not dialog.bundling, timeout=5000)
    assert [r.name for r in made[0] or []] == ["configuration", "sip_server", "nat"]
