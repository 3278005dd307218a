"""The hidapi backend, over a stand-in for the ``hidraw`` module (no real device here)."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest

from softphone.headset import transport
from softphone.headset.transport import HidBackend, HidTransport, load_backend


class FakeHandle:
    """What ``hidraw.device()`` returns, with canned answers."""

    def __init__(self, fail_open: bool = False) -> None:
        self.fail_open = fail_open
        self.opened: bytes | None = None
        self.reads: list[list[int]] = [[5, 8], []]
        self.writes: list[bytes] = []
        self.closed = 0

    def open_path(self, path: bytes) -> None:
        if self.fail_open:
            raise OSError("open failed")  # hidapi says no more than this
        self.opened = path

    def read(self, max_length: int, timeout_ms: int) -> list[int]:
        assert max_length >= 64 and timeout_ms == 50
        return self.reads.pop(0)

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)

    def get_report_descriptor(self) -> list[int]:  # hidapi takes no length
        return [0x05, 0x0B]

    def close(self) -> None:
        self.closed += 1


class FakeHidModule:
    def __init__(self, entries: list[dict[str, Any]], handle: FakeHandle) -> None:
        self.entries = entries
        self.handle = handle

    def enumerate(self) -> list[dict[str, Any]]:
        return self.entries

    def device(self) -> FakeHandle:
        return self.handle


def entry(path: bytes, usage_page: int, product: str = "Jabra Evolve2 65") -> dict[str, Any]:
    return {"path": path, "vendor_id": 0x0B0E, "product_id": 0x24A1,
            "product_string": product + " ", "manufacturer_string": "GN",
            "serial_number": "X1", "usage_page": usage_page, "usage": 5}


def test_devices_are_the_telephony_collections_once_per_node() -> None:
    module = FakeHidModule([
        entry(b"/dev/hidraw4", 0x0C),  # the same node's volume keys
        entry(b"/dev/hidraw4", 0x0B),
        entry(b"/dev/hidraw4", 0x0B),
        entry(b"/dev/hidraw1", 0x0B, "Poly Blackwire 3320"),
        entry(b"/dev/hidraw0", 0x01, "Keyboard"),
    ], FakeHandle())
    devices = HidBackend(module).devices()
    assert [(dev.path, dev.name) for dev in devices] == [
        ("/dev/hidraw1", "Poly Blackwire 3320"), ("/dev/hidraw4", "Jabra Evolve2 65")]
    assert devices[1].vendor_id == 0x0B0E


def test_reports_go_through_the_handle() -> None:
    handle = FakeHandle()
    backend = HidBackend(FakeHidModule([entry(b"/dev/hidraw4", 0x0B)], handle))
    opened = backend.open(backend.devices()[0])
    assert handle.opened == b"/dev/hidraw4"
    assert opened.read(0.05) == bytes([5, 8])
    assert opened.read(0.05) is None  # timed out
    opened.write(b"\x07\x01\x00")
    assert handle.writes == [b"\x07\x01\x00"]
    assert opened.descriptor() == b"\x05\x0b"
    opened.close()
    opened.close()
    assert handle.closed == 1


def test_refused_open_is_told_apart_as_permission_denied(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: str, flags: int) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "open", refuse)
    backend = HidBackend(FakeHidModule([entry(b"/dev/hidraw4", 0x0B)],
                                       FakeHandle(fail_open=True)))
    with pytest.raises(PermissionError):
        backend.open(backend.devices()[0])


def test_other_open_failures_stay_os_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def gone(path: str, flags: int) -> int:
        raise FileNotFoundError(errno.ENOENT, "No such file", path)

    monkeypatch.setattr(os, "open", gone)
    backend = HidBackend(FakeHidModule([entry(b"/dev/hidraw4", 0x0B)],
                                       FakeHandle(fail_open=True)))
    with pytest.raises(OSError) as raised:
        backend.open(backend.devices()[0])
    assert not isinstance(raised.value, PermissionError)


def test_a_failed_write_is_an_os_error() -> None:
    class Refusing(FakeHandle):
        def write(self, data: bytes) -> int:
            return -1

    with pytest.raises(OSError):
        HidTransport(Refusing()).write(b"\x00\x01")


def test_the_installed_hidapi_loads_on_this_platform() -> None:
    pytest.importorskip("hidraw", reason="the hidapi package is not installed")
    backend, reason = load_backend()
    assert backend is not None, reason
    assert transport.hid_module_name() == "hidraw"
    assert isinstance(backend.devices(), list)  # no headset here; must not fail


def test_calls_match_the_installed_hidapi() -> None:
    # An unopened handle says "not open" (ValueError) only when the arguments fit.
    hidraw = pytest.importorskip("hidraw", reason="the hidapi package is not installed")
    unopened = HidTransport(hidraw.device())
    for call in (lambda: unopened.read(0.05), lambda: unopened.write(b"\x00\x01"),
                 unopened.descriptor):
        with pytest.raises(ValueError, match="not open"):
            call()
