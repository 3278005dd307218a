from pathlib import Path

import pytest

from softphone.errors import UserFacingError
from softphone.settings import SCHEMA, Settings, setting


def make(tmp_path: Path, system: str = "", user: str = "") -> Settings:
    system_file = tmp_path / "system.toml"
    user_file = tmp_path / "user.toml"
    if system:
        system_file.write_text(system)
    if user:
        user_file.write_text(user)
    return Settings(user_file, system_file)


def test_every_setting_is_documented_and_its_default_valid() -> None:
    for spec in SCHEMA:
        assert spec.description
        assert spec.validate(spec.default) == spec.default


def test_layers_user_over_system_over_default(tmp_path: Path) -> None:
    settings = make(tmp_path,
                    system='[sip]\ntransport = "tcp"\nregistrar = "sip:corp"\n',
                    user='[sip]\ntransport = "tls"\n')
    assert settings["sip.transport"] == "tls"
    assert settings.source("sip.transport") == "user"
    assert settings["sip.registrar"] == "sip:corp"
    assert settings.source("sip.registrar") == "system"
    assert settings["calls.auto_answer_seconds"] == -1


def test_set_writes_user_file_and_survives_reload(tmp_path: Path) -> None:
    settings = make(tmp_path)
    settings.set("calls.auto_answer_seconds", 3)
    assert "auto_answer_seconds = 3" in (tmp_path / "user.toml").read_text()
    assert make(tmp_path)["calls.auto_answer_seconds"] == 3


def test_bad_values_name_the_setting(tmp_path: Path) -> None:
    settings = make(tmp_path)
    with pytest.raises(UserFacingError, match=r"sip\.transport"):
        settings.set("sip.transport", "carrier-pigeon")
    with pytest.raises(UserFacingError, match="at least -1"):
        setting("calls.auto_answer_seconds").parse("-5")
    with pytest.raises(UserFacingError, match="no setting"):
        settings["sip.nope"]


def test_malformed_file_is_reported_and_other_layers_still_apply(tmp_path: Path) -> None:
    settings = make(tmp_path, system='[sip\ntransport = "tcp"', user='[sip]\nuri = "sip:a@b"\n')
    assert settings["sip.uri"] == "sip:a@b"
    assert settings["sip.transport"] == "udp"
    assert any("system.toml" in problem.message and "line 1" in problem.message
               for problem in settings.problems)


def test_wrong_type_in_file_is_skipped_with_a_problem(tmp_path: Path) -> None:
    settings = make(tmp_path, user='[calls]\nauto_answer_seconds = "soon"\n')
    assert settings["calls.auto_answer_seconds"] == -1
    assert settings.problems


def test_change_listeners_hear_about_changes(tmp_path: Path) -> None:
    settings = make(tmp_path)
    seen: list[tuple[str, object]] = []
    settings.on_change(lambda name, value: seen.append((name, value)))
    settings.set("audio.speaker", "headset")
    assert seen == [("audio.speaker", "headset")]
