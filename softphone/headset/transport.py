"""Reaching headsets: finding those with telephony controls, reading and writing reports.

:class:`Transport` is what the rest of the package needs from one open device, so tests
replay reports through a fake. :class:`HidBackend` implements it with the ``hidapi``
package: on Linux its ``hidraw`` module (the kernel's hidraw nodes, leaving the kernel's
own driver attached, so the headset's audio and volume keys keep working), elsewhere
its ``hid`` module.

Reports are bytes as on the wire: an input report starts with its report ID only when
the device numbers its reports; an output report always starts with its report ID
byte, 0 when the device does not number them (hidapi's convention).

Threads: a transport is used by one thread at a time (its headset's reader thread);
``HidBackend.devices`` and ``open`` run on the service's watcher thread.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

TELEPHONY_PAGE = 0x0B
READ_LENGTH = 1024  # bytes asked per read: more than any report; hidraw returns one report


class Transport(Protocol):
    def read(self, timeout: float) -> bytes | None:
        """One input report, or None after ``timeout`` seconds; OSError when gone."""

    def write(self, report: bytes) -> None:
        """Send one output report (report ID byte first); OSError when gone."""

    def descriptor(self) -> bytes:
        """The device's report descriptor."""

    def close(self) -> None:
        """Release the device; safe to call twice."""


@dataclass(frozen=True)
class DeviceInfo:
    """A device with a telephony collection, as enumerated."""

    path: str
    vendor_id: int
    product_id: int
    product: str
    manufacturer: str = ""
    serial: str = ""

    @property
    def name(self) -> str:
        return self.product or f"USB device {self.vendor_id:04x}:{self.product_id:04x}"


class Backend(Protocol):
    def devices(self) -> list[DeviceInfo]:
        """Devices with a telephony (0x0B) top-level collection, one per device node."""

    def open(self, device: DeviceInfo) -> Transport:
        """Open ``device``; PermissionError when the system does not allow it."""


# ------------------------------------------------------------------ hidapi


def hid_module_name() -> str:
    """``hidraw`` on Linux (keeps the kernel driver), ``hid`` elsewhere."""
    return "hidraw" if sys.platform.startswith("linux") else "hid"


def load_backend() -> tuple[Backend | None, str]:
    """The real backend, or None with the reason it cannot be had (no hidapi)."""
    name = hid_module_name()
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return None, f"the hidapi package is not installed ({name}: {exc})"
    return HidBackend(module), ""


class HidBackend:
    """Devices through the hidapi module (``hidraw`` or ``hid``)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def devices(self) -> list[DeviceInfo]:
        found: dict[str, DeviceInfo] = {}
        for entry in self._module.enumerate():
            if entry.get("usage_page") != TELEPHONY_PAGE:
                continue
            info = _device_info(entry)
            found.setdefault(info.path, info)  # one node may list several collections
        return sorted(found.values(), key=lambda d: d.path)

    def open(self, device: DeviceInfo) -> Transport:
        handle = self._module.device()
        try:
            handle.open_path(device.path.encode())
        except OSError as exc:
            raise _open_error(device.path, exc) from None
        return HidTransport(handle)


def _device_info(entry: dict[str, Any]) -> DeviceInfo:
    path = entry.get("path", b"")
    return DeviceInfo(
        path=path.decode(errors="replace") if isinstance(path, bytes) else str(path),
        vendor_id=int(entry.get("vendor_id") or 0),
        product_id=int(entry.get("product_id") or 0),
        product=(entry.get("product_string") or "").strip(),
        manufacturer=(entry.get("manufacturer_string") or "").strip(),
        serial=entry.get("serial_number") or "",
    )


def _open_error(path: str, exc: OSError) -> OSError:
    """hidapi says only "open failed"; opening the node ourselves tells why."""
    if not path.startswith("/dev/"):
        return exc
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError as other:  # PermissionError (EACCES) when no rule grants access
        return other
    os.close(fd)
    return exc


class HidTransport:
    """One open hidapi device."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._closed = False

    def read(self, timeout: float) -> bytes | None:
        data = self._handle.read(READ_LENGTH, max(1, round(timeout * 1000)))
        return bytes(data) if data else None

    def write(self, report: bytes) -> None:
        if self._handle.write(report) < 0:
            raise OSError(errno.EIO, "headset write failed")

    def descriptor(self) -> bytes:
        return bytes(self._handle.get_report_descriptor())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._handle.close()
