"""Noticing that sound devices were plugged in or out, cheaply and without PortAudio.

PortAudio only sees a new device after it is re-initialised, which closes every stream,
so the engine must not do that on a timer. Instead ``DeviceWatcher`` computes a small
*signature* of the machine's sound devices every half second on its own thread and calls
``on_change`` when it differs from the last one:

- the ALSA sound cards (``/proc/asound/cards``) and device nodes (``/dev/snd``): a USB
  headset adds and removes a card;
- the PulseAudio (or PipeWire-Pulse) sinks and sources, asked over libpulse's own
  protocol with ``ctypes`` (no ``pactl`` process): a headset behind the sound server, or
  a sink that is unloaded, is seen there even when ALSA's device list does not change.

Neither source needs anything beyond what a desktop with sound already has; where one is
missing (no libpulse, not Linux) the other still counts. Streams that stop delivering
are caught separately by the sound card's health check (``audio.StreamHealth``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
PULSE_TIMEOUT_SECONDS = 1.0
_STEP_USEC = 50_000

# libpulse enums (pulse/def.h)
_CONTEXT_NOAUTOSPAWN = 1
_CONTEXT_READY = 4
_CONTEXT_FAILED = 5
_CONTEXT_TERMINATED = 6
_OPERATION_RUNNING = 0

_InfoCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                 ctypes.c_void_p)

Signature = tuple[tuple[str, ...], str, tuple[str, ...] | None]


def _load_libpulse() -> Any:
    name = ctypes.util.find_library("pulse") or "libpulse.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    vp = ctypes.c_void_p
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "pa_mainloop_new": (vp, []),
        "pa_mainloop_free": (None, [vp]),
        "pa_mainloop_get_api": (vp, [vp]),
        "pa_mainloop_prepare": (ctypes.c_int, [vp, ctypes.c_int]),
        "pa_mainloop_poll": (ctypes.c_int, [vp]),
        "pa_mainloop_dispatch": (ctypes.c_int, [vp]),
        "pa_context_new": (vp, [vp, ctypes.c_char_p]),
        "pa_context_connect": (ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_int, vp]),
        "pa_context_get_state": (ctypes.c_int, [vp]),
        "pa_context_disconnect": (None, [vp]),
        "pa_context_unref": (None, [vp]),
        "pa_context_get_sink_info_list": (vp, [vp, _InfoCallback, vp]),
        "pa_context_get_source_info_list": (vp, [vp, _InfoCallback, vp]),
        "pa_operation_get_state": (ctypes.c_int, [vp]),
        "pa_operation_unref": (None, [vp]),
    }
    try:
        for function, (restype, argtypes) in signatures.items():
            fn = getattr(lib, function)
            fn.restype, fn.argtypes = restype, argtypes
    except AttributeError:
        return None
    return lib


class PulseProbe:
    """A libpulse client that lists the sound server's sinks and sources (one thread).

    It keeps one connection and reconnects when the server went away; ``names`` returns
    None while no server answers. Every wait is bounded (``PULSE_TIMEOUT_SECONDS``).
    """

    def __init__(self) -> None:
        self._lib = _load_libpulse()
        self._mainloop: int | None = None
        self._context: int | None = None
        self._found: list[str] = []
        # Kept referenced: libpulse calls it back while an operation runs.
        self._callback = _InfoCallback(self._on_info)

    @property
    def available(self) -> bool:
        return self._lib is not None

    def names(self) -> tuple[str, ...] | None:
        """Sorted "sink:NAME" and "source:NAME" entries, or None without a server."""
        if self._lib is None or not self._connected():
            return None
        found: list[str] = []
        for kind, lister in (("sink", self._lib.pa_context_get_sink_info_list),
                             ("source", self._lib.pa_context_get_source_info_list)):
            self._found = []
            operation = lister(self._context, self._callback, None)
            if not operation or not self._finish(operation):
                self.close()
                return None
            found += [f"{kind}:{name}" for name in self._found]
        return tuple(sorted(found))

    def _on_info(self, _context: Any, info: Any, eol: int, _userdata: Any) -> None:
        """libpulse callback, on the calling thread inside ``_step``."""
        if eol == 0 and info:
            name = ctypes.cast(info, ctypes.POINTER(ctypes.c_char_p))[0]  # first field
            if name:
                self._found.append(name.decode("utf-8", "replace"))

    def _connected(self) -> bool:
        lib = self._lib
        if self._context is not None:
            state = lib.pa_context_get_state(self._context)
            if state == _CONTEXT_READY:
                return True
            self.close()
        self._mainloop = lib.pa_mainloop_new()
        if not self._mainloop:
            self._mainloop = None
            return False
        api = lib.pa_mainloop_get_api(self._mainloop)
        self._context = lib.pa_context_new(api, b"softphone-devices")
        if not self._context or lib.pa_context_connect(
                self._context, None, _CONTEXT_NOAUTOSPAWN, None) < 0:
            self.close()
            return False
        deadline = time.monotonic() + PULSE_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            state = lib.pa_context_get_state(self._context)
            if state == _CONTEXT_READY:
                return True
            if state in (_CONTEXT_FAILED, _CONTEXT_TERMINATED) or not self._step():
                break
        self.close()
        return False

    def _finish(self, operation: int) -> bool:
        lib = self._lib
        deadline = time.monotonic() + PULSE_TIMEOUT_SECONDS
        try:
            while lib.pa_operation_get_state(operation) == _OPERATION_RUNNING:
                if time.monotonic() > deadline or not self._step():
                    return False
            return True
        finally:
            lib.pa_operation_unref(operation)

    def _step(self) -> bool:
        """Wait at most 50 ms for the server and dispatch what came; False on error."""
        lib = self._lib
        if lib.pa_mainloop_prepare(self._mainloop, _STEP_USEC) < 0:
            return False
        if lib.pa_mainloop_poll(self._mainloop) < 0:
            return False
        return bool(lib.pa_mainloop_dispatch(self._mainloop) >= 0)

    def close(self) -> None:
        lib = self._lib
        if self._context is not None:
            lib.pa_context_disconnect(self._context)
            lib.pa_context_unref(self._context)
            self._context = None
        if self._mainloop is not None:
            lib.pa_mainloop_free(self._mainloop)
            self._mainloop = None


def alsa_signature(proc_cards: Path = Path("/proc/asound/cards"),
                   dev_snd: Path = Path("/dev/snd")) -> tuple[tuple[str, ...], str]:
    """The ALSA device nodes and the card list ("" and () where they do not exist)."""
    try:
        nodes = tuple(sorted(os.listdir(dev_snd)))
    except OSError:
        nodes = ()
    try:
        cards = proc_cards.read_text(errors="replace")
    except OSError:
        cards = ""
    return nodes, cards


class DeviceWatcher:
    """Polls the device signature on a daemon thread ("devwatch"); never calls pjsua2.

    ``on_change(alsa_changed)`` runs on that thread and must only queue work for the main
    loop; ``alsa_changed`` says whether ALSA's cards changed (PortAudio must then be
    re-initialised) or only the sound server's devices.
    """

    def __init__(self, on_change: Callable[[bool], None], interval: float = CHECK_SECONDS,
                 signature: Callable[[], Signature] | None = None) -> None:
        self._on_change = on_change
        self._interval = interval
        self._probe: PulseProbe | None = None
        self._signature = signature or self._system_signature
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="devwatch", daemon=True)
        self.last: Signature | None = None

    def start(self) -> None:
        """Start watching (main thread); the first signature is taken on the thread."""
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop (any thread); it ends within one interval."""
        self._stop.set()

    def _system_signature(self) -> Signature:
        if self._probe is None:
            self._probe = PulseProbe()
        nodes, cards = alsa_signature()
        return nodes, cards, self._probe.names()

    def _run(self) -> None:
        """devwatch thread."""
        try:
            self.last = self._signature()
            while not self._stop.wait(self._interval):
                current = self._signature()
                if current != self.last:
                    alsa_changed = current[:2] != self.last[:2]
                    log.debug("device signature: %s -> %s", self.last, current)
                    self.last = current
                    self._on_change(alsa_changed)
        except Exception:
            log.exception("the sound device watcher stopped")
        finally:
            if self._probe is not None:
                self._probe.close()
