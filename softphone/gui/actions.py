"""What the agent can do to calls, shared by every window, the tray and the control server.

A thin layer over ``Phone`` (which holds the current call when another is answered or
placed) that picks the call an action means. Runs on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from softphone.phone import Call, Phone, PhoneState

RINGING_STATES = ("incoming", "early")


def is_ringing_in(call: Call) -> bool:
    """An incoming call still waiting to be answered."""
    return call.direction == "incoming" and call.state in RINGING_STATES


def is_talking(call: Call) -> bool:
    """A connected call that is not on hold on our side."""
    return call.state == "confirmed" and not call.local_hold


def ringing_calls(state: PhoneState) -> list[Call]:
    return [call for call in state.calls.values() if is_ringing_in(call)]


def pick_call(state: PhoneState, selected: str | None = None) -> Call | None:
    """The call an action means: the selected one, else the talking one, else any."""
    calls = state.calls
    if selected in calls:
        return calls[selected]
    talking = [call for call in calls.values() if is_talking(call)]
    if talking:
        return talking[0]
    return next(iter(calls.values()), None)


class CallActions:
    """Call actions by call id (``None``: the call the phone thinks is meant)."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone

    def status(self) -> dict[str, Any]:
        """The phone's status (so this object can stand in for Phone in ``control``)."""
        return self.phone.status()

    def dial(self, text: str) -> str:
        """Place a call to what the agent typed. Raises ``UserFacingError`` on bad input."""
        return self.phone.dial(text)

    def redial(self) -> str | None:
        """Call the last number dialled again; None when there is none."""
        return self.phone.redial()

    def answer(self, call_id: str | None = None) -> str | None:
        """Answer ``call_id`` (or the first ringing call), holding the current call."""
        state = self.phone.snapshot()
        if call_id is None:
            ringing = ringing_calls(state)
            call_id = ringing[0].id if ringing else None
        if call_id is None:
            return None
        return self.phone.answer(call_id)

    def decline(self, call_id: str | None = None) -> str | None:
        if call_id is None:
            ringing = ringing_calls(self.phone.snapshot())
            call_id = ringing[0].id if ringing else None
        return self.phone.decline(call_id) if call_id else None

    def hangup(self, call_id: str | None = None) -> str | None:
        return self.phone.hangup(call_id)

    def toggle_hold(self, call_id: str | None = None) -> None:
        """Hold the call if it is talking; resume it if we hold it."""
        call = pick_call(self.phone.snapshot(), call_id)
        if call is None:
            return
        if call.local_hold:
            self.phone.resume(call.id)
        elif call.state == "confirmed":
            self.phone.hold(call.id)

    def toggle_mute(self) -> bool:
        """Flip the microphone; returns the state asked for."""
        muted = not self.phone.snapshot().muted
        self.phone.set_muted(muted)
        return muted

    def send_dtmf(self, digits: str, call_id: str | None = None) -> None:
        self.phone.send_dtmf(digits, call_id)

    def transfer(self, target: str, call_id: str | None = None) -> None:
        """Blind-transfer the call. Raises ``UserFacingError`` on a bad target."""
        self.phone.transfer(target, call_id)
