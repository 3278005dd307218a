"""Marker and fixture for the tests of the frozen (PyInstaller) build."""

from __future__ import annotations

import pytest

from tests.packaging.frozen import FrozenBuild, frozen_build


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "build: builds the app with PyInstaller and tests the built programs"
    )


@pytest.fixture(scope="session")
def frozen() -> FrozenBuild:
    """The built one-folder app (built once per set of sources, see tests/packaging/frozen.py)."""
    build = frozen_build()
    if build.build_seconds is not None:
        print(f"\nfrozen app built in {build.build_seconds:.0f} s: {build.folder}")
    return build
