"""The agent's own state: Available, On call, Wrap-up or Break. Imports no Qt.

The state follows the phone and the agent:

- a call is answered (its state becomes ``confirmed``), in or out: **On call**;
- the last answered call ends: **Wrap-up**, for ``wrapup.seconds`` (``0``: until the agent
  finishes it with ``finish_wrapup``), then back to what the agent last picked by hand;
- the agent picks **Available** or **Break** by hand. Break lasts until the agent changes
  it. A pick made during a call takes effect when the call and its wrap-up are over; a
  pick made during wrap-up ends the wrap-up at once.

Calls that were never answered (missed, declined, busy) leave the state as it was.

While the agent is not Available new calls are not offered: ``incoming_call_action``
says whether to let a new call ring or to decline it with ``BUSY_CODE`` (setting
``agent.busy_action``).

The wrap-up deadline is checked on every event and by ``tick``; the app calls ``tick``
about once a second. Time comes from an injectable monotonic clock.

Threads: every method may be called from any thread (one lock guards the state).
Listeners are called on the thread that caused the change, after the lock is released,
with an immutable ``AgentState``; they must not block. The GUI feeds ``handle_event``
from the phone bridge, so there everything runs on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from softphone import protocol
from softphone.crm.schema import CallDirection, CallLogCreate
from softphone.phone import CallEnded
from softphone.storage.history import HistoryEntry

log = logging.getLogger(__name__)

#: SIP status sent when a call is declined because the agent is not Available.
BUSY_CODE = 486
#: Longest phone text a call log carries (``CallLogCreate.phone``).
_PHONE_LIMIT = 32
_MAX_DURATION = 86_400

IncomingAction = Literal["ring", "decline"]
Clock = Callable[[], float]


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    BREAK = "break"


#: The states the agent may pick by hand.
MANUAL_STATES = (AgentStatus.AVAILABLE, AgentStatus.BREAK)


class SettingsReader(Protocol):
    """What the agent reads of ``Settings`` (a plain dict of values works too)."""

    def __getitem__(self, name: str, /) -> Any: ...


@dataclass(frozen=True)
class AgentState:
    """One immutable view of the agent's state.

    ``since`` and ``wrapup_deadline`` are readings of the agent's clock;
    ``wrapup_deadline`` is ``None`` outside wrap-up and for a wrap-up without a time
    limit. ``chosen`` is what the agent picked by hand (Available or Break), which the
    state returns to after calls. ``last_call`` is the call whose end started the
    current (or last) wrap-up. ``calls`` is the number of answered calls in progress.
    """

    status: AgentStatus = AgentStatus.AVAILABLE
    since: float = 0.0
    chosen: AgentStatus = AgentStatus.AVAILABLE
    wrapup_deadline: float | None = None
    last_call: HistoryEntry | None = None
    calls: int = 0

    def accepts_calls(self) -> bool:
        """Whether a new call may be offered to the agent."""
        return self.status == AgentStatus.AVAILABLE

    def remaining(self, now: float) -> float | None:
        """Seconds of wrap-up left at ``now``; ``None`` when there is no deadline."""
        if self.status != AgentStatus.WRAP_UP or self.wrapup_deadline is None:
            return None
        return max(0.0, self.wrapup_deadline - now)


class Agent:
    """The agent's state machine. See the module docstring for rules and threads."""

    def __init__(self, settings: SettingsReader, *, clock: Clock = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.RLock()
        self._talking: set[str] = set()
        self._last_gone = ""
        self._state = AgentState(since=clock())
        self._listeners: list[Callable[[AgentState], None]] = []

    # ---------------------------------------------------------------- reading

    def state(self) -> AgentState:
        with self._lock:
            return self._state

    @property
    def status(self) -> AgentStatus:
        return self.state().status

    def accepts_calls(self) -> bool:
        """True only while Available."""
        return self.state().accepts_calls()

    @property
    def busy_action(self) -> IncomingAction:
        """What to do with calls arriving while not Available: "decline" or "ring"."""
        value = str(self._settings["agent.busy_action"])
        return "ring" if value == "ring" else "decline"

    def incoming_call_action(self) -> IncomingAction:
        """For a new incoming call: "ring" when Available, else ``busy_action``.

        "decline" means: decline the call with ``BUSY_CODE``.
        """
        return "ring" if self.accepts_calls() else self.busy_action

    def now(self) -> float:
        """The agent's clock (``since`` and ``wrapup_deadline`` are readings of it)."""
        return self._clock()

    def remaining(self) -> float | None:
        """Seconds of wrap-up left now (``None`` outside a timed wrap-up)."""
        return self.state().remaining(self._clock())

    # ---------------------------------------------------------------- listeners

    def add_listener(self, listener: Callable[[AgentState], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[AgentState], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ---------------------------------------------------------------- the agent's picks

    def choose(self, status: AgentStatus) -> None:
        """The agent picks Available or Break (see the module docstring for when it applies)."""
        if status not in MANUAL_STATES:
            raise ValueError(f"{status.value} cannot be picked by hand")
        with self._lock:
            current = self._state
            if current.status == AgentStatus.ON_CALL:
                new = replace(current, chosen=status)
            else:
                new = self._settled(replace(current, chosen=status))
            changed = self._set(new)
        self._notify(changed)

    def set_available(self) -> None:
        self.choose(AgentStatus.AVAILABLE)

    def set_break(self) -> None:
        self.choose(AgentStatus.BREAK)

    def finish_wrapup(self) -> None:
        """The agent is done with the wrap-up: back to what they picked (no-op otherwise)."""
        with self._lock:
            if self._state.status != AgentStatus.WRAP_UP:
                return
            changed = self._set(self._settled(self._state))
        self._notify(changed)

    def tick(self) -> None:
        """Ends a wrap-up whose time is up. Call it about once a second."""
        with self._lock:
            changed = self._expire()
        self._notify(changed)

    # ---------------------------------------------------------------- the phone's events

    def handle_event(self, event: object) -> None:
        """Apply one of the phone's events (``Phone.subscribe`` or the GUI bridge)."""
        if isinstance(event, protocol.CallStateChanged):
            if event.state == "confirmed":
                self._call_answered(event.call_id)
            elif event.state == "disconnected":
                self._call_gone(event.call_id, None)
            return
        if isinstance(event, CallEnded):
            self._call_gone(event.entry.call_id, event.entry)
        else:
            self.tick()

    def _call_answered(self, call_id: str) -> None:
        with self._lock:
            self._talking.add(call_id)
            current = self._state
            if current.status != AgentStatus.ON_CALL:
                current = replace(current, status=AgentStatus.ON_CALL, since=self._clock(),
                                  wrapup_deadline=None)
            changed = self._set(replace(current, calls=len(self._talking)))
        self._notify(changed)

    def _call_gone(self, call_id: str, entry: HistoryEntry | None) -> None:
        with self._lock:
            if call_id not in self._talking:
                changed = self._late_entry(call_id, entry)
            else:
                changed = self._call_removed(call_id, entry)
        self._notify(changed)

    def _late_entry(self, call_id: str, entry: HistoryEntry | None) -> AgentState | None:
        """A call already counted as gone (its state came before its history entry)."""
        state = self._state
        if (entry is not None and state.status == AgentStatus.WRAP_UP
                and state.last_call is None and self._last_gone == call_id):
            return self._set(replace(state, last_call=entry))
        return None

    def _call_removed(self, call_id: str, entry: HistoryEntry | None) -> AgentState | None:
        """An answered call ended; the last one starts the wrap-up."""
        self._talking.discard(call_id)
        self._last_gone = call_id
        current = replace(self._state, calls=len(self._talking))
        if not self._talking:
            seconds = max(0, int(self._settings["wrapup.seconds"]))
            now = self._clock()
            current = replace(current, status=AgentStatus.WRAP_UP, since=now,
                              wrapup_deadline=now + seconds if seconds else None,
                              last_call=entry)
        return self._set(current)

    # ---------------------------------------------------------------- internals (locked)

    def _settled(self, state: AgentState) -> AgentState:
        """``state`` moved out of wrap-up to what the agent picked."""
        if state.status == state.chosen:
            return state
        return replace(state, status=state.chosen, since=self._clock(), wrapup_deadline=None)

    def _expire(self) -> AgentState | None:
        state = self._state
        if (state.status == AgentStatus.WRAP_UP and state.wrapup_deadline is not None
                and self._clock() >= state.wrapup_deadline):
            return self._set(self._settled(state))
        return None

    def _set(self, new: AgentState) -> AgentState | None:
        """Store ``new``; return it if it differs from the old state (else ``None``)."""
        if new == self._state:
            return None
        self._state = new
        return new

    def _notify(self, state: AgentState | None) -> None:
        if state is None:
            return
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                log.exception("Agent state listener failed")


# ------------------------------------------------------------------ the call log


@dataclass(frozen=True)
class WrapUp:
    """What the agent records about a finished call."""

    disposition: str
    notes: str = ""
    callback_at: datetime | None = None


def call_log(entry: HistoryEntry, wrapup: WrapUp, *, customer_id: str | None = None,
             agent: str = "") -> CallLogCreate:
    """The call log for the CRM: the call from the history plus what the agent recorded.

    Raises ``pydantic.ValidationError`` when a value is out of the API's bounds (for
    example a disposition longer than 200 characters).
    """
    started = datetime.fromtimestamp(entry.started_at, tz=UTC)
    duration = min(_MAX_DURATION, max(0, round(entry.duration_seconds)))
    callback = wrapup.callback_at
    if callback is not None and callback.tzinfo is None:
        callback = callback.astimezone()  # a local time picked on screen
    return CallLogCreate(
        customer_id=customer_id or None,
        phone=(entry.number or "")[:_PHONE_LIMIT],
        direction=CallDirection.INBOUND if entry.direction == "incoming"
        else CallDirection.OUTBOUND,
        started_at=started,
        duration_seconds=duration,
        disposition=wrapup.disposition.strip(),
        notes=wrapup.notes,
        callback_at=callback,
        call_id=entry.call_id[:128],
        agent=agent[:200],
    )
