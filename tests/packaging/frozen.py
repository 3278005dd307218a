"""The frozen (PyInstaller) build of the app, made once per set of sources, and a runner.

``frozen_build()`` runs ``pyinstaller packaging/softphone.spec`` into a cache directory
named after a hash of everything the build depends on (the package's sources,
``resources/``, the spec and its entry scripts, the installed distributions and the
Python version), so a second test run on unchanged sources reuses the folder. A
file lock keeps two test runs from building the same folder at once. Older builds in the
cache are removed when a new one is made.

Environment:

* ``SOFTPHONE_FROZEN_APP`` -- test this already built folder (``dist/softphone``)
  instead of building one;
* ``SOFTPHONE_FROZEN_CACHE`` -- where builds are kept (default: ``softphone-frozen`` in
  the temporary directory).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.app_process import RunningApp
from tests.peers import procs
from tests.peers.net import wait_until

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 900.0  # seconds; the build takes about 1.5 min on two idle cores
PROGRAMS = ("softphone", "softphone-cli", "softphone-engine")
#: Variables that would make the frozen app use the checkout instead of its own files.
CHECKOUT_VARIABLES = ("SOFTPHONE_RESOURCES", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")


@dataclass(frozen=True)
class FrozenBuild:
    folder: Path  # the one-folder app: the programs and _internal/
    build_seconds: float | None  # None when reused or given from outside
    log_path: Path | None

    def program(self, name: str) -> Path:
        return self.folder / name

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"


def source_key() -> str:
    """A hash of everything the build is made from."""
    digest = hashlib.sha256()
    files = [
        *sorted((REPO / "softphone").rglob("*")),
        *sorted((REPO / "resources").rglob("*")),
        REPO / "packaging" / "softphone.spec",
        *sorted((REPO / "packaging").glob("entry_*.py")),
    ]
    for path in files:
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    installed = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("\n".join(installed).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:20]


def cache_root() -> Path:
    override = os.environ.get("SOFTPHONE_FROZEN_CACHE")
    return Path(override) if override else Path(tempfile.gettempdir()) / "softphone-frozen"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def frozen_build() -> FrozenBuild:
    """The built folder: given, reused from the cache, or built now."""
    given = os.environ.get("SOFTPHONE_FROZEN_APP")
    if given:
        return FrozenBuild(Path(given).resolve(), None, None)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = source_key()
    target = root / key
    with _locked(root / ".lock"):
        done = target / "complete"
        if done.exists():
            return FrozenBuild(target / "softphone", None, target / "build.log")
        for old in root.iterdir():
            if old.is_dir() and old.name != key:
                shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        seconds = _run_pyinstaller(target)
        done.write_text(f"{seconds:.1f}\n")
    return FrozenBuild(target / "softphone", seconds, target / "build.log")


def _run_pyinstaller(target: Path) -> float:
    """Build into ``target/softphone``; returns the seconds taken. Fails with the log's tail."""
    log_path = target / "build.log"
    work = target / "work"
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(target), "--workpath", str(work),
        str(REPO / "packaging" / "softphone.spec"),
    ]
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    procs.watch_group(process.pid)
    try:
        code = process.wait(BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        procs.stop(process, grace=5.0)
    seconds = time.monotonic() - started
    shutil.rmtree(work, ignore_errors=True)
    if code != 0:
        raise AssertionError(
            f"pyinstaller failed ({'timed out' if code is None else f'status {code}'}) "
            f"after {seconds:.0f} s:\n{procs.tail(log_path, 60)}"
        )
    return seconds


def frozen_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without what would point the frozen app back at the checkout."""
    return {name: value for name, value in env.items() if name not in CHECKOUT_VARIABLES}


class FrozenApp(RunningApp):
    """:class:`RunningApp` running the built programs instead of ``python -m softphone``."""

    def __init__(self, build: FrozenBuild, profile_dir: Path, env: dict[str, str]) -> None:
        super().__init__(profile_dir, env)
        self.build = build
        self.env = frozen_env(self.env)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.build.program("softphone-cli")), "--profile", str(self.profile_dir),
             *args],
            input=stdin, capture_output=True, text=True, env=self.env, timeout=60,
        )

    def start(self) -> FrozenApp:
        """Start the windowed program, as the desktop's launcher does."""
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as output:
            self.process = subprocess.Popen(
                [str(self.build.program("softphone")), "--profile", str(self.profile_dir)],
                stdout=output, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )
        procs.watch_group(self.process.pid)
        wait_until(self._answers, timeout=60,
                   message=lambda: f"the frozen app never answered: {self.output_tail()}")
        return self
