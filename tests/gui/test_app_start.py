"""How the app starts: minimised when asked, settings problems said once, and the
start-at-login entry following its setting. The real app objects, engine included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone import autostart
from softphone.context import AppContext
from softphone.gui.application import PasswordPrompter, SoftphoneGui
from softphone.paths import Profile


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Profile:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    system = tmp_path / "etc" / "settings.toml"
    system.parent.mkdir()
    system.write_text('[audio]\nring_on = "loud"\n')  # one bad value IT made
    monkeypatch.setenv("SOFTPHONE_SYSTEM_SETTINGS", str(system))
    return Profile.from_dir(tmp_path / "profile")


def started(profile: Profile, **settings: object) -> SoftphoneGui:
    context = AppContext.create(profile)
    for name, value in settings.items():
        context.settings.set(name.replace("__", "."), value)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    gui = SoftphoneGui(app, context, PasswordPrompter())
    gui.start()
    return gui


@pytest.fixture
def gui_factory(profile: Profile) -> Iterator[list[SoftphoneGui]]:
    made: list[SoftphoneGui] = []
    yield made
    for gui in made:
        gui.shutdown()


def test_starts_minimised_and_says_which_settings_were_ignored(
        qtbot: QtBot, profile: Profile, gui_factory: list[SoftphoneGui]) -> None:
    gui = started(profile, app__start_minimised=True)
    gui_factory.append(gui)
    assert not gui.tray.available  # offscreen: no tray, so a minimised window
    qtbot.waitUntil(gui.window.isMinimized)
    banner = gui.window.banners.banner("settings")
    assert banner is not None
    assert "audio.ring_on must be one of" in banner.text() and "settings.toml" in banner.text()


def test_start_at_login_entry_follows_the_setting(
        qtbot: QtBot, profile: Profile, gui_factory: list[SoftphoneGui]) -> None:
    gui = started(profile)
    gui_factory.append(gui)
    entry = autostart.xdg_entry_path()
    assert not entry.exists()
    gui.context.settings.set("app.start_at_login", True)
    qtbot.waitUntil(entry.exists)
    text = entry.read_text()
    assert "Exec=" in text and "-m softphone" in text
    gui.context.settings.set("app.start_at_login", False)
    qtbot.waitUntil(lambda: not entry.exists())


def test_a_link_handed_over_by_the_desktop_is_called(
        qtbot: QtBot, profile: Profile, gui_factory: list[SoftphoneGui]) -> None:
    gui = started(profile, sip__uri="sip:1001@127.0.0.1:9")
    gui_factory.append(gui)
    dialled: list[str] = []
    gui.call_actions.dial = lambda text: dialled.append(text) or "call-1"  # type: ignore[method-assign]
    app = QApplication.instance()
    assert app is not None
    QApplication.sendEvent(app, QFileOpenEvent(QUrl("tel:+40720000007")))  # as on macOS
    assert dialled == ["tel:+40720000007"]
