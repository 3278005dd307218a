"""Settings as IT deploys them: layers, locks, per-agent placeholders, a broken file, and
the provisioning document over HTTPS with its offline copy. No Qt."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import provisioning
from softphone.errors import UserFacingError
from softphone.paths import Profile
from softphone.settings import Settings, open_settings
from tests.peers.https_files import HttpsFiles, write
from tests.peers.tls import ServerCert, TestCA

SYSTEM = """\
lock = ["sip.registrar", "crm.*"]

[sip]
uri = "sip:${login}@pbx.example.com"
registrar = "sip:pbx.example.com"

[crm]
url = "https://crm.example.com"
"""


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Profile:
    system = write(tmp_path / "etc" / "settings.toml", SYSTEM)
    monkeypatch.setenv("SOFTPHONE_SYSTEM_SETTINGS", str(system))
    return Profile.from_dir(tmp_path / "profile")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCert:
    folder = tmp_path_factory.mktemp("tls")
    return TestCA.create(folder / "ca").issue(folder / "server")


@pytest.fixture
def server(certificate: ServerCert) -> Iterator[HttpsFiles]:
    with HttpsFiles(certificate) as files:
        yield files


def test_layers_apply_in_order_and_locks_hold(profile: Profile) -> None:
    settings = open_settings(profile)
    assert settings["sip.uri"] == f"sip:{getpass.getuser()}@pbx.example.com"
    assert settings.source("sip.uri") == "system"
    settings.set("sip.uri", "sip:1001@pbx.example.com")  # not locked: the agent's wins
    assert settings["sip.uri"] == "sip:1001@pbx.example.com"
    assert settings.source("sip.uri") == "user"
    for name in ("sip.registrar", "crm.url", "crm.timeout_seconds"):
        assert settings.locked(name)
        with pytest.raises(UserFacingError, match="set by your administrator"):
            settings.set(name, settings[name])
        with pytest.raises(UserFacingError, match="set by your administrator"):
            settings.reset(name)
    assert not settings.locked("audio.speaker")


def test_a_user_file_cannot_override_a_locked_setting(profile: Profile) -> None:
    write(profile.settings_file, '[crm]\nurl = "https://evil.example.com"\n')
    settings = open_settings(profile)
    assert settings["crm.url"] == "https://crm.example.com"
    assert settings.source("crm.url") == "system"


def test_the_command_line_refuses_a_locked_setting(profile: Profile, tmp_path: Path) -> None:
    root = profile.config_dir.parent
    env = {**os.environ, "SOFTPHONE_SYSTEM_SETTINGS": str(tmp_path / "etc" / "settings.toml")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "softphone", "--profile", str(root),
                               *args], capture_output=True, text=True, env=env, timeout=60)

    refused = cli("config", "set", "crm.url", "https://other.example.com")
    assert refused.returncode != 0
    assert "set by your administrator" in refused.stderr
    listed = {row["name"]: row for row in json.loads(cli("config", "list", "--json").stdout)}
    assert listed["crm.url"]["locked"] is True
    assert listed["crm.url"]["value"] == "https://crm.example.com"
    assert listed["audio.speaker"]["locked"] is False


def test_a_broken_system_file_is_named_with_its_line_and_the_rest_still_loads(
        tmp_path: Path) -> None:
    system = write(tmp_path / "settings.toml", '[sip]\nuri = "sip:a@b"\nregistrar = \n')
    user = write(tmp_path / "user.toml", '[audio]\nspeaker = "headset"\n')
    settings = Settings(user, system)
    (problem,) = settings.problems
    assert str(system) in problem.message and "line 3" in problem.message
    assert settings["audio.speaker"] == "headset"
    assert settings["sip.uri"] == ""


def test_bad_values_locks_and_placeholders_are_reported_one_by_one(tmp_path: Path) -> None:
    system = write(tmp_path / "settings.toml", 'lock = ["nope.*", "sip.uri"]\n'
                   '[sip]\nuri = "sip:${who}@pbx"\ntransport = "pigeon"\n'
                   'display_name = "${hostname} desk"\n')
    settings = Settings(tmp_path / "user.toml", system)
    messages = " | ".join(p.message for p in settings.problems)
    assert "'nope.*'" in messages
    assert "placeholder" in messages
    assert "sip.transport must be one of" in messages
    assert settings["sip.display_name"].endswith(" desk")
    assert "${" not in settings["sip.display_name"]
    assert settings.locked("sip.uri")


def provisioned(profile: Profile, url: str, certificate: ServerCert) -> Settings:
    write(profile.settings_file, "")
    system = Path(os.environ["SOFTPHONE_SYSTEM_SETTINGS"])
    system.write_text(SYSTEM + f'\n[provisioning]\nurl = "{url}"\n'
                      f'ca_file = "{certificate.ca_path}"\n')
    return open_settings(profile)


DOCUMENT = """\
lock = ["audio.ring_on"]

[audio]
ring_on = "both"

[calls]
default_region = "RO"
"""


def test_provisioning_document_is_fetched_locked_and_kept_for_offline_starts(
        profile: Profile, server: HttpsFiles, certificate: ServerCert) -> None:
    url = server.publish("/softphone.toml", DOCUMENT)
    settings = provisioned(profile, url, certificate)
    changed: list[str] = []
    settings.on_change(lambda name, _value: changed.append(name))

    result = provisioning.refresh(settings)
    assert result.ok, result.message
    assert settings["audio.ring_on"] == "both" and settings.locked("audio.ring_on")
    assert settings.source("calls.default_region") == "provisioned"
    assert {"audio.ring_on", "calls.default_region"} <= set(changed)

    server.stop()  # the next start is offline: the copy fetched earlier is used
    offline = open_settings(profile)
    result = provisioning.refresh(offline, timeout=3)
    assert not result.ok and "unreachable" in result.message
    assert "copy fetched earlier is in use" in result.message
    assert offline["audio.ring_on"] == "both" and offline.locked("audio.ring_on")


def test_a_bad_document_never_replaces_the_good_copy(
        profile: Profile, server: HttpsFiles, certificate: ServerCert) -> None:
    url = server.publish("/softphone.toml", DOCUMENT)
    settings = provisioned(profile, url, certificate)
    assert provisioning.refresh(settings).ok
    server.publish("/softphone.toml", "[audio\nring_on = ")
    result = provisioning.refresh(settings)
    assert not result.ok and "not valid TOML" in result.message
    assert settings["audio.ring_on"] == "both"
    server.documents.clear()
    result = provisioning.refresh(settings)
    assert not result.ok and "answered 404" in result.message
    assert settings["audio.ring_on"] == "both"


def test_an_untrusted_certificate_or_plain_http_is_refused(
        profile: Profile, server: HttpsFiles, certificate: ServerCert) -> None:
    url = server.publish("/softphone.toml", DOCUMENT)
    settings = provisioned(profile, url, certificate)
    system = Path(os.environ["SOFTPHONE_SYSTEM_SETTINGS"])
    system.write_text(SYSTEM + f'\n[provisioning]\nurl = "{url}"\n')  # no test CA
    settings.reload()
    result = provisioning.refresh(settings)
    assert not result.ok and "certificate is not trusted" in result.message
    assert settings["audio.ring_on"] == "ringer"  # nothing was taken from it
    assert server.requests == 0

    system.write_text(SYSTEM + '\n[provisioning]\nurl = "http://127.0.0.1:9/x.toml"\n')
    settings.reload()
    result = provisioning.refresh(settings)
    assert not result.ok and "must use HTTPS" in result.message
