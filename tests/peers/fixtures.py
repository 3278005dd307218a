"""pytest plugin with fixtures for real peers: Kamailio, baresip, PulseAudio, tones.

Enable with ``pytest_plugins = ["tests.peers.fixtures"]`` in ``tests/conftest.py``.
Every fixture is function-scoped and stops its processes at teardown, also when the test
fails; on failure the tail of each peer's log is printed (shown by pytest as captured
teardown output).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.peers.audio import write_tone
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.procs import tail
from tests.peers.pulse import PulseAudio, refresh_portaudio

USERS: dict[str, str] = {
    "agent": "agentpw",
    "customer": "customerpw",
    "second": "secondpw",
    "manager": "managerpw",
    # A customer whose SIP user is a national phone number (Romania), for the screen-pop.
    "0720000007": "phonepw",
}
_REPORT_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


class BaresipFactory(Protocol):
    """Signature of the ``baresip_factory`` fixture."""

    def __call__(
        self,
        user: str,
        *,
        password: str | None = None,
        wait_registered: bool = True,
        **kwargs: Any,
    ) -> Baresip:
        """Start a baresip UA for ``user`` at the ``kamailio`` fixture."""
        ...


ToneFactory = Callable[..., Path]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORT_KEY, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    """True if the setup or call phase of the requesting test failed."""
    reports = request.node.stash.get(_REPORT_KEY, {})
    return any(report.failed for report in reports.values())


def _dump_log(request: pytest.FixtureRequest, title: str, path: Path) -> None:
    """Print the tail of ``path`` if the test failed."""
    if _failed(request):
        print(f"\n----- {title} ({path}) -----\n{tail(path, 60)}")


@pytest.fixture
def kamailio(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Kamailio]:
    """A started Kamailio registrar/proxy knowing :data:`USERS`."""
    server = Kamailio(USERS, tmp_path / "kamailio")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        _dump_log(request, "kamailio log", server.log_path)


@pytest.fixture
def pulse(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PulseAudio]:
    """A started private PulseAudio; its :attr:`~PulseAudio.env` is set in ``os.environ``.

    If ``sounddevice`` is already imported, PortAudio is re-initialised after the
    environment changes (set-up) and again after it is restored (teardown).
    """
    server = PulseAudio(tmp_path / "pulse")
    try:
        with pulse_in_environment(server):
            yield server
    finally:
        _dump_log(request, "pulseaudio log", server.log_path)


@contextmanager
def pulse_in_environment(server: PulseAudio) -> Iterator[PulseAudio]:
    """Start ``server`` with its environment in ``os.environ`` and PortAudio pointed at
    it; stop it and restore both afterwards."""
    server.start()
    patch = pytest.MonkeyPatch()
    try:
        for key, value in server.env.items():
            patch.setenv(key, value)
        refresh_portaudio()
        yield server
    finally:
        server.stop()
        patch.undo()
        refresh_portaudio()


@pytest.fixture
def tone_wav(tmp_path: Path) -> ToneFactory:
    """Factory ``tone_wav(freq_hz, seconds=60.0, rate=8000, amplitude=0.5) -> Path`` (cached)."""
    cache: dict[tuple[float, float, int, float], Path] = {}
    folder = tmp_path / "tones"
    folder.mkdir(exist_ok=True)

    def make(
        freq_hz: float, seconds: float = 60.0, rate: int = 8000, amplitude: float = 0.5
    ) -> Path:
        key = (freq_hz, seconds, rate, amplitude)
        if key not in cache:
            name = f"tone-{freq_hz:g}hz-{seconds:g}s-{rate}-{amplitude:g}.wav"
            cache[key] = write_tone(folder / name, freq_hz, seconds, rate, amplitude)
        return cache[key]

    return make


@pytest.fixture
def baresip_factory(
    kamailio: Kamailio, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[BaresipFactory]:
    """Factory starting baresip UAs registered (by default) at the ``kamailio`` fixture.

    ``baresip_factory("customer", tone_hz=600)`` returns a started :class:`Baresip`
    whose password comes from :data:`USERS`; other keyword arguments go to
    :class:`Baresip`. All UAs are stopped at teardown.
    """
    started: list[Baresip] = []

    def make(
        user: str,
        *,
        password: str | None = None,
        wait_registered: bool = True,
        **kwargs: Any,
    ) -> Baresip:
        work_dir = tmp_path / f"baresip-{user}-{len(started) + 1}"
        agent = Baresip(
            user,
            USERS.get(user, "") if password is None else password,
            work_dir,
            (kamailio.host, kamailio.port),
            **kwargs,
        )
        started.append(agent)
        agent.start()
        if wait_registered and agent.register:
            agent.wait_registered()
        return agent

    try:
        yield make
    finally:
        for agent in reversed(started):
            agent.stop()
            _dump_log(request, f"baresip {agent.user} log", agent.log_path)
