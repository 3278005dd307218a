"""One pjsua2 call and what the engine knows about it.

``PhoneCall`` callbacks run on the main (pjsua) thread and forward to a listener.
``media_state`` and ``pjsip_state_name`` are pure helpers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import pjsua2 as pj

from softphone.engine.report import guarded
from softphone.protocol import CallStateName, Direction, RemoteParty

log = logging.getLogger(__name__)

_STATE_NAMES: dict[int, CallStateName] = {
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "incoming",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}


def pjsip_state_name(state: int) -> CallStateName | None:
    """The protocol name of a pjsip invite state (None for NULL)."""
    return _STATE_NAMES.get(state)


@dataclass(frozen=True)
class AudioState:
    """The audio of a call as the protocol shows it, plus the bridge slot to connect."""

    active: bool
    local_hold: bool
    remote_hold: bool
    slot: int
    index: int = -1


def media_state(call_info: Any) -> AudioState:
    """The first audio stream's state from a ``pj.CallInfo`` (keep ``ci`` alive!)."""
    for media in call_info.media:
        if media.type != pj.PJMEDIA_TYPE_AUDIO:
            continue
        status = media.status
        return AudioState(
            active=status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD),
            local_hold=status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD,
            remote_hold=status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD,
            slot=int(media.audioConfSlot),
            index=int(media.index),
        )
    return AudioState(active=False, local_hold=False, remote_hold=False, slot=-1)


class CallListener(Protocol):
    def call_state(self, call: PhoneCall) -> None: ...
    def call_media(self, call: PhoneCall) -> None: ...
    def call_dtmf(self, call: PhoneCall, digit: str) -> None: ...
    def call_transfer_status(
        self, call: PhoneCall, code: int, reason: str, final: bool
    ) -> bool: ...


class PhoneCall(pj.Call):  # type: ignore[misc]
    """A call the engine follows by its protocol ``call_id`` (main thread)."""

    def __init__(
        self,
        account: Any,
        listener: CallListener,
        call_id: str,
        direction: Direction,
        *,
        remote: RemoteParty,
        pj_call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, pj_call_id)
        self.listener = listener
        self.call_id = call_id
        self.direction: Direction = direction
        self.remote = remote
        self.state: CallStateName | None = None
        self.audio = AudioState(active=False, local_hold=False, remote_hold=False, slot=-1)
        self.connected_slot = -1
        self.answer_at: float | None = None
        self.alerting = False  # outgoing: the far end said 180 Ringing
        self.transferring = False
        self.pending_hold: bool | None = None  # hold (True) / resume (False) to retry
        self.pending_since = 0.0
        self.pending_retry_at = 0.0

    @guarded
    def onCallState(self, prm: Any) -> None:
        self.listener.call_state(self)

    @guarded
    def onCallMediaState(self, prm: Any) -> None:
        self.listener.call_media(self)

    @guarded
    def onDtmfDigit(self, prm: Any) -> None:
        self.listener.call_dtmf(self, str(prm.digit))

    @guarded
    def onCallTransferStatus(self, prm: Any) -> None:
        keep = self.listener.call_transfer_status(
            self, int(prm.statusCode), str(prm.reason), bool(prm.finalNotify)
        )
        prm.cont = keep
