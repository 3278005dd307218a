"""The Linux packages IT installs: the Debian package and the tarball made from the build.

The Debian package is installed and purged with the real dpkg into a directory of the
test's own (``dpkg --root``), so the machine's own packages are never touched; its
maintainer scripts run as dpkg runs them for another root.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import __version__
from tests.packaging.frozen import FrozenBuild, frozen_env

pytestmark = [
    pytest.mark.build,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packages"),
    pytest.mark.timeout(1200),  # the first test of a run may wait for the build
]

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
UDEV_RULE = "70-softphone-headsets.rules"


def pack(script: str, build: FrozenBuild, output: Path) -> Path:
    """Run ``packaging/linux/<script>`` on the build; the package it made."""
    result = subprocess.run(["bash", str(LINUX / script), str(build.folder), str(output)],
                            capture_output=True, text=True, timeout=600,
                            env=frozen_env(dict(os.environ)))
    assert result.returncode == 0, result.stderr
    package = Path(result.stdout.strip().splitlines()[-1])
    assert package.is_file() and package.parent == output
    return package


@pytest.fixture(scope="module")
def deb(frozen: FrozenBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pack("make-deb.sh", frozen, tmp_path_factory.mktemp("deb"))


def deb_field(package: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "--field", str(package), name], capture_output=True,
                          text=True, check=True).stdout.strip()


def depends(package: Path) -> list[str]:
    """The package names in Depends (alternatives and versions dropped)."""
    names = []
    for clause in deb_field(package, "Depends").split(","):
        for alternative in clause.split("|"):
            names.append(alternative.split("(")[0].strip())
    return [name for name in names if name]


def test_debian_package_names_itself_and_its_system_libraries(deb: Path) -> None:
    assert deb.name == f"softphone_{__version__}_amd64.deb"
    assert deb_field(deb, "Package") == "softphone"
    assert deb_field(deb, "Version") == __version__
    needed = depends(deb)
    assert "libportaudio2" in needed, "the build loads the system's PortAudio"
    # Every dependency is a package the distribution has (a misspelt name would make
    # `apt install ./softphone.deb` fail on every machine).
    unknown = [name for name in needed
               if subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                                 capture_output=True).returncode != 0]
    assert not unknown, f"no such Debian packages: {unknown}"


@pytest.fixture
def dpkg_root(tmp_path: Path) -> Iterator[Path]:
    """An empty root with a dpkg database of its own."""
    root = tmp_path / "root"
    for folder in ("info", "updates", "triggers"):
        (root / "var/lib/dpkg" / folder).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    yield root


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Dependencies are the real machine's business: this root has no other packages.
    return subprocess.run(["dpkg", f"--root={root}", "--force-script-chrootless",
                           "--force-depends", "--force-not-root", "--log=/dev/null", *args],
                          capture_output=True, text=True, timeout=300)


def installed_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")
            if not path.is_dir() and not str(path.relative_to(root)).startswith("var/lib/dpkg")}


def test_debian_package_installs_the_app_menu_entry_and_headset_rule_and_purges_clean(
        deb: Path, dpkg_root: Path) -> None:
    result = dpkg(dpkg_root, "--install", str(deb))
    assert result.returncode == 0, result.stdout + result.stderr
    files = installed_files(dpkg_root)
    for expected in ("usr/share/applications/softphone.desktop",
                     "usr/share/metainfo/com.example.Softphone.metainfo.xml",
                     "usr/share/icons/hicolor/scalable/apps/softphone.svg",
                     f"usr/lib/udev/rules.d/{UDEV_RULE}",
                     "opt/softphone/softphone", "opt/softphone/softphone-cli",
                     "opt/softphone/softphone-engine"):
        assert expected in files, f"{expected} was not installed"
    for command in ("softphone", "softphone-cli"):
        assert os.readlink(dpkg_root / "usr/bin" / command) == f"/opt/softphone/{command}"
    assert (dpkg_root / f"usr/lib/udev/rules.d/{UDEV_RULE}").read_bytes() == (
        LINUX / UDEV_RULE).read_bytes()
    version = subprocess.run([str(dpkg_root / "opt/softphone/softphone-cli"), "--version"],
                             capture_output=True, text=True, timeout=60,
                             env=frozen_env(dict(os.environ)))
    assert version.stdout.strip() == f"softphone {__version__}", version.stderr

    result = dpkg(dpkg_root, "--purge", "softphone")
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_files(dpkg_root) == set(), "files left behind after purging"


def test_tarball_holds_the_app_menu_entry_and_headset_rule(frozen: FrozenBuild,
                                                           tmp_path: Path) -> None:
    tarball = pack("make-tarball.sh", frozen, tmp_path)
    assert tarball.name.startswith(f"softphone-{__version__}-linux-")
    with tarfile.open(tarball) as archive:
        members = {member.name: member for member in archive.getmembers()}
    for expected in ("usr/local/share/applications/softphone.desktop",
                     "usr/local/share/metainfo/com.example.Softphone.metainfo.xml",
                     f"etc/udev/rules.d/{UDEV_RULE}", "opt/softphone/softphone-cli"):
        assert expected in members, f"{expected} is not in the tarball"
    assert members["usr/local/bin/softphone"].linkname == "/opt/softphone/softphone"
    assert all(member.uid == 0 and member.gid == 0 for member in members.values())
