"""Fixtures for GUI tests: a real (unstarted) phone, its bridge and the main window."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.gui import resources
from softphone.gui.bridge import PhoneBridge
from softphone.gui.main_window import MainWindow
from tests.gui.harness import FakeClock, PhoneHarness

# Before pytest-qt creates the QApplication: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _stylesheet(qapp: object) -> None:
    """Tests see the app as agents do: Fusion style and the app's stylesheet."""
    # Once per run: setting it again re-polishes every widget earlier tests left alive.
    if qapp.property("softphoneStyled") is None:  # type: ignore[attr-defined]
        qapp.setStyle("Fusion")  # type: ignore[attr-defined]
        qapp.setStyleSheet(resources.stylesheet())  # type: ignore[attr-defined]
        qapp.setProperty("softphoneStyled", True)  # type: ignore[attr-defined]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PhoneHarness]:
    phone = PhoneHarness(tmp_path)
    try:
        yield phone
    finally:
        phone.close()


@pytest.fixture
def bridge(harness: PhoneHarness) -> Iterator[PhoneBridge]:
    bridge = PhoneBridge(harness.phone)
    try:
        yield bridge
    finally:
        bridge.close()
        bridge.deleteLater()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def window(qtbot: QtBot, harness: PhoneHarness, bridge: PhoneBridge,
           clock: FakeClock) -> MainWindow:
    main = MainWindow(harness.context, bridge, clock=clock)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main
