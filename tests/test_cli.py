"""The command line, run as a real process against a private profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import keyring
import pytest


def softphone(profile: Path, *args: str, stdin: str = "",
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "softphone", "--profile", str(profile), *args],
        input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_config_set_get_list(tmp_path: Path) -> None:
    assert softphone(tmp_path, "config", "set", "sip.transport", "tcp").returncode == 0
    assert softphone(tmp_path, "config", "set", "calls.auto_answer_seconds", "5").returncode == 0
    assert softphone(tmp_path, "config", "get", "sip.transport").stdout.strip() == "tcp"
    rows = json.loads(softphone(tmp_path, "config", "list", "--json").stdout)
    by_name = {row["name"]: row for row in rows}
    assert by_name["calls.auto_answer_seconds"]["value"] == 5
    assert by_name["calls.auto_answer_seconds"]["source"] == "user"
    assert by_name["audio.microphone"]["description"]
    assert {"sip.uri", "sip.registrar", "sip.username", "sip.transport", "sip.proxy",
            "sip.stun", "audio.microphone", "audio.speaker", "audio.ringer",
            "calls.auto_answer_seconds"} <= set(by_name)
    assert (tmp_path / "config" / "settings.toml").exists()


def test_config_rejects_bad_values_in_plain_words(tmp_path: Path) -> None:
    result = softphone(tmp_path, "config", "set", "sip.transport", "pigeon")
    assert result.returncode == 2
    assert "sip.transport must be one of: udp, tcp, tls" in result.stderr
    result = softphone(tmp_path, "config", "set", "no.such", "1")
    assert result.returncode == 2 and "no setting" in result.stderr


def test_password_goes_to_the_keyring_and_nowhere_else(tmp_path: Path) -> None:
    secret = f"pw-{uuid.uuid4().hex}"
    result = softphone(tmp_path, "credentials", "set", "sip", stdin=secret + "\n")
    assert result.returncode == 0, result.stderr
    try:
        assert keyring.get_password("softphone", "sip") == secret
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    finally:
        keyring.delete_password("softphone", "sip")


def test_no_keyring_means_no_file_fallback(tmp_path: Path) -> None:
    result = softphone(tmp_path, "credentials", "set", "sip", stdin="pw-nowhere\n",
                       env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == 2
    assert "no working keyring" in result.stderr
    assert not any(b"pw-nowhere" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_commands_for_the_running_app_say_when_it_is_not_running(tmp_path: Path) -> None:
    result = softphone(tmp_path, "status", "--json")
    assert result.returncode == 3
    assert "not running" in result.stderr


def test_history_of_a_fresh_profile_is_empty(tmp_path: Path) -> None:
    result = softphone(tmp_path, "history", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help(tmp_path: Path, args: list[str]) -> None:
    result = softphone(tmp_path, *args)
    assert result.returncode == 0 and "softphone" in result.stdout


def test_a_link_opened_by_the_desktop_dials_it() -> None:
    from softphone.cli import _link_as_dial

    assert _link_as_dial(["tel:+40720000007"]) == ["dial", "--start", "tel:+40720000007"]
    assert _link_as_dial(["--profile", "/p", "SIP:1001@pbx"]) == [
        "--profile", "/p", "dial", "--start", "SIP:1001@pbx"]
    assert _link_as_dial(["dial", "tel:1"]) == ["dial", "tel:1"]  # already a command
    assert _link_as_dial(["status"]) == ["status"]
