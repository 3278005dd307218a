"""The one place the GUI hears from the phone: Phone events re-emitted as Qt signals.

``Phone`` calls its subscribers on engine threads. ``PhoneBridge`` posts each event
through a queued connection, so every signal below is emitted on the GUI thread, in
the order the phone published them, and receivers may touch widgets freely.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot

from softphone import protocol
from softphone.phone import CallEnded, EngineCrashed, EngineRestarted, Phone, PhoneEvent

log = logging.getLogger(__name__)

#: Event type -> name of the typed signal that carries it.
_SIGNAL_NAMES: dict[type[object], str] = {
    protocol.EngineReady: "engine_ready",
    protocol.RegistrationChanged: "registration_changed",
    protocol.IncomingCall: "incoming_call",
    protocol.CallStateChanged: "call_state_changed",
    protocol.MediaStateChanged: "media_state_changed",
    protocol.MuteChanged: "mute_changed",
    protocol.AudioLevels: "audio_levels",
    protocol.StreamStats: "stream_stats",
    protocol.DevicesChanged: "devices_changed",
    protocol.DtmfReceived: "dtmf_received",
    protocol.TransferResult: "transfer_result",
    protocol.EngineError: "engine_error",
    EngineCrashed: "engine_crashed",
    EngineRestarted: "engine_restarted",
    CallEnded: "call_ended",
}

#: Events that change what a call list or call controls show.
CALL_EVENTS: tuple[type[object], ...] = (
    protocol.IncomingCall, protocol.CallStateChanged, protocol.MediaStateChanged,
    protocol.MuteChanged, protocol.StreamStats, EngineCrashed, EngineRestarted, CallEnded,
)


class PhoneBridge(QObject):
    """Subscribes to ``phone`` and re-emits its events on the GUI thread.

    ``any_event`` carries every event; the typed signals carry one kind each (all payloads
    are the event objects themselves). Create it on the GUI thread before the phone
    starts so no event is missed.
    """

    any_event = Signal(object)
    engine_ready = Signal(object)
    registration_changed = Signal(object)
    incoming_call = Signal(object)
    call_state_changed = Signal(object)
    media_state_changed = Signal(object)
    mute_changed = Signal(object)
    audio_levels = Signal(object)
    stream_stats = Signal(object)
    devices_changed = Signal(object)
    dtmf_received = Signal(object)
    transfer_result = Signal(object)
    engine_error = Signal(object)
    engine_crashed = Signal(object)
    engine_restarted = Signal(object)
    call_ended = Signal(object)

    _posted = Signal(object)

    def __init__(self, phone: Phone, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self._closed = False
        self._posted.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        phone.subscribe(self._on_phone_event)

    def close(self) -> None:
        """Stop forwarding (the phone keeps its subscription; it becomes a no-op)."""
        self._closed = True

    def _on_phone_event(self, event: PhoneEvent) -> None:
        """Any thread: queue ``event`` for the GUI thread."""
        if self._closed:
            return
        try:
            self._posted.emit(event)
        except RuntimeError:  # the C++ object is gone: the app is exiting
            self._closed = True

    @Slot(object)
    def _dispatch(self, event: PhoneEvent) -> None:
        """GUI thread: emit ``event`` and its typed signal."""
        if self._closed:
            return
        self.any_event.emit(event)
        name = _SIGNAL_NAMES.get(type(event))
        if name is not None:
            getattr(self, name).emit(event)
