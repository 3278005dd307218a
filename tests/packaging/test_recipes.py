"""The deployment recipes, checked with the tools that read them (no build needed).

The Windows installer and the macOS bundle can only be built on their own systems (the
CI workflow does that); here their texts are checked against what the app expects.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from platformdirs.macos import MacOS
from platformdirs.unix import Unix
from platformdirs.windows import Windows

from softphone.paths import APP_NAME
from softphone.targets import LINK_SCHEMES

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
DESKTOP_FILE = PACKAGING / "linux" / "softphone.desktop"
METAINFO = PACKAGING / "linux" / "com.example.Softphone.metainfo.xml"
WORKFLOW = REPO / ".github" / "workflows" / "build.yml"
INSTALLER = PACKAGING / "windows" / "softphone.iss"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_desktop_entry_is_valid_and_takes_call_links() -> None:
    result = run("desktop-file-validate", str(DESKTOP_FILE))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    text = DESKTOP_FILE.read_text(encoding="utf-8")
    mime_types = re.search(r"^MimeType=(.*)$", text, re.MULTILINE)
    assert mime_types is not None
    for scheme in ("tel", "sip", "sips"):
        assert f"x-scheme-handler/{scheme};" in mime_types.group(1)
    assert re.search(r"^Exec=softphone %u$", text, re.MULTILINE), "links reach the app as %u"


def test_appstream_metadata_is_valid_and_names_the_desktop_entry() -> None:
    result = run("appstreamcli", "validate", "--no-net", "--pedantic", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "<launchable type=\"desktop-id\">softphone.desktop</launchable>" in (
        METAINFO.read_text(encoding="utf-8"))


def test_build_workflow_is_a_valid_github_workflow() -> None:
    result = run(sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                 "vendor.github-workflows", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr
    text = WORKFLOW.read_text(encoding="utf-8")
    for runner in ("ubuntu-", "windows-", "macos-"):
        assert f"runs-on: {runner}" in text, f"no job on {runner} runners"


def test_system_settings_paths_in_the_installer_and_guide_are_where_the_app_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIN_PD_OVERRIDE_COMMON_APPDATA", "C:\\ProgramData")
    monkeypatch.delenv("XDG_CONFIG_DIRS", raising=False)
    windows = Windows(appname=APP_NAME).site_config_dir.replace("/", "\\")
    assert windows == "C:\\ProgramData\\softphone\\softphone"
    installer = INSTALLER.read_text(encoding="utf-8")
    assert "ExpandConstant('{commonappdata}\\softphone\\softphone')" in installer
    guide = (PACKAGING / "README.md").read_text(encoding="utf-8")
    assert "%ProgramData%\\softphone\\softphone\\settings.toml" in guide
    assert f"{MacOS(appname=APP_NAME).site_config_dir}/settings.toml" in guide
    assert f"{Unix(appname=APP_NAME).site_config_dir}/settings.toml" in guide


def test_installer_and_bundle_register_every_link_scheme_the_app_takes() -> None:
    installer = INSTALLER.read_text(encoding="utf-8")
    spec = (PACKAGING / "softphone.spec").read_text(encoding="utf-8")
    # callto: is taken when given, but only tel:, sip: and sips: are registered: callto:
    # belongs to other programs on most desktops.
    for scheme in sorted({scheme.rstrip(":") for scheme in LINK_SCHEMES} - {"callto"}):
        assert f'ValueName: "{scheme}"; ValueData: "{{#ProgId}}"' in installer, scheme
        assert f"SchemeIsFree('{scheme}')" in installer, scheme
        assert f'"{scheme}"' in spec, f"{scheme} is not in the macOS bundle's URL types"
