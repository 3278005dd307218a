"""The agent's state: driven by the phone's events, the agent's picks and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from softphone import protocol as P
from softphone.agent import (
    BUSY_CODE,
    Agent,
    AgentState,
    AgentStatus,
    WrapUp,
    call_log,
)
from softphone.crm.schema import CallDirection
from softphone.phone import CallEnded, EngineCrashed
from softphone.settings import Settings
from softphone.storage.history import HistoryEntry

CALLER = P.RemoteParty("Nguyễn Thị Mai", "+84283822123", "sip:+84283822123@pbx")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry(call_id: str, direction: str = "incoming", duration: float = 95.4) -> HistoryEntry:
    return HistoryEntry(call_id, direction, CALLER.display_name, CALLER.number, CALLER.uri,
                        1_700_000_000.0, 1_700_000_005.0, 1_700_000_100.4, duration, "answered")


def confirm(agent: Agent, call_id: str, direction: P.Direction = "incoming") -> None:
    agent.handle_event(P.CallStateChanged(call_id, "confirmed", direction, CALLER, 200))


def end(agent: Agent, call_id: str, direction: P.Direction = "incoming") -> None:
    """In the phone's order: the history entry, then the disconnected state."""
    agent.handle_event(CallEnded(entry(call_id, direction)))
    agent.handle_event(P.CallStateChanged(call_id, "disconnected", direction, CALLER, 200))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> dict[str, Any]:
    return {"wrapup.seconds": 60, "agent.busy_action": "decline"}


@pytest.fixture
def agent(settings: dict[str, Any], clock: Clock) -> Agent:
    return Agent(settings, clock=clock)


def test_starts_available_and_accepts_calls(agent: Agent) -> None:
    assert agent.status == AgentStatus.AVAILABLE
    assert agent.accepts_calls()
    assert agent.incoming_call_action() == "ring"


def test_answered_call_then_timed_wrapup_then_available(agent: Agent, clock: Clock) -> None:
    seen: list[AgentState] = []
    agent.add_listener(seen.append)
    agent.handle_event(P.IncomingCall("c1", CALLER))
    assert agent.status == AgentStatus.AVAILABLE  # ringing is not talking
    confirm(agent, "c1")
    assert agent.status == AgentStatus.ON_CALL
    assert not agent.accepts_calls()
    clock.now += 200
    end(agent, "c1")
    state = agent.state()
    assert state.status == AgentStatus.WRAP_UP
    assert state.wrapup_deadline == clock.now + 60
    assert state.last_call is not None and state.last_call.call_id == "c1"
    assert agent.remaining() == 60
    clock.now += 59
    agent.tick()
    assert agent.status == AgentStatus.WRAP_UP
    assert agent.remaining() == pytest.approx(1)
    clock.now += 1
    agent.tick()
    assert agent.status == AgentStatus.AVAILABLE
    assert [s.status for s in seen] == [AgentStatus.ON_CALL, AgentStatus.WRAP_UP,
                                        AgentStatus.AVAILABLE]


def test_disconnected_before_history_entry_still_records_the_call(agent: Agent) -> None:
    confirm(agent, "c1")
    agent.handle_event(P.CallStateChanged("c1", "disconnected", "incoming", CALLER, 200))
    assert agent.state().last_call is None
    agent.handle_event(CallEnded(entry("c1")))
    state = agent.state()
    assert state.status == AgentStatus.WRAP_UP
    assert state.last_call is not None and state.last_call.call_id == "c1"


def test_untimed_wrapup_lasts_until_finished(settings: dict[str, Any], agent: Agent,
                                             clock: Clock) -> None:
    settings["wrapup.seconds"] = 0
    confirm(agent, "c1")
    end(agent, "c1")
    clock.now += 10_000
    agent.tick()
    state = agent.state()
    assert state.status == AgentStatus.WRAP_UP
    assert state.wrapup_deadline is None and agent.remaining() is None
    agent.finish_wrapup()
    assert agent.status == AgentStatus.AVAILABLE


def test_missed_and_declined_calls_do_not_change_the_state(agent: Agent) -> None:
    agent.handle_event(P.IncomingCall("c1", CALLER))
    agent.handle_event(CallEnded(entry("c1")))
    agent.handle_event(P.CallStateChanged("c1", "disconnected", "incoming", CALLER, 487))
    assert agent.status == AgentStatus.AVAILABLE


def test_wrapup_waits_for_the_last_call(agent: Agent) -> None:
    confirm(agent, "c1")
    confirm(agent, "c2")
    assert agent.state().calls == 2
    end(agent, "c1")
    assert agent.status == AgentStatus.ON_CALL
    end(agent, "c2")
    state = agent.state()
    assert state.status == AgentStatus.WRAP_UP
    assert state.last_call is not None and state.last_call.call_id == "c2"


def test_engine_crash_ends_the_calls_into_wrapup(agent: Agent) -> None:
    confirm(agent, "c1")
    agent.handle_event(CallEnded(entry("c1")))
    agent.handle_event(EngineCrashed(4242, -6))
    assert agent.status == AgentStatus.WRAP_UP


def test_break_persists_through_calls_and_wrapup(agent: Agent, clock: Clock) -> None:
    agent.set_break()
    assert agent.status == AgentStatus.BREAK
    assert agent.incoming_call_action() == "decline"
    confirm(agent, "out-1", "outgoing")  # an outbound call made on break
    assert agent.status == AgentStatus.ON_CALL
    end(agent, "out-1", "outgoing")
    clock.now += 61
    agent.tick()
    assert agent.status == AgentStatus.BREAK
    clock.now += 3600
    agent.tick()
    assert agent.status == AgentStatus.BREAK
    agent.set_available()
    assert agent.status == AgentStatus.AVAILABLE


def test_pick_during_a_call_applies_after_its_wrapup(agent: Agent, clock: Clock) -> None:
    confirm(agent, "c1")
    agent.set_break()
    state = agent.state()
    assert state.status == AgentStatus.ON_CALL and state.chosen == AgentStatus.BREAK
    end(agent, "c1")
    assert agent.status == AgentStatus.WRAP_UP
    clock.now += 60
    agent.tick()
    assert agent.status == AgentStatus.BREAK


def test_pick_during_wrapup_ends_it_at_once(agent: Agent) -> None:
    confirm(agent, "c1")
    end(agent, "c1")
    agent.set_available()
    assert agent.status == AgentStatus.AVAILABLE
    assert agent.state().wrapup_deadline is None
    confirm(agent, "c2")
    end(agent, "c2")
    agent.set_break()
    assert agent.status == AgentStatus.BREAK


def test_finish_wrapup_outside_wrapup_changes_nothing(agent: Agent) -> None:
    seen: list[AgentState] = []
    agent.add_listener(seen.append)
    agent.set_break()
    agent.finish_wrapup()
    assert agent.status == AgentStatus.BREAK
    assert len(seen) == 1


def test_only_available_and_break_can_be_picked(agent: Agent) -> None:
    with pytest.raises(ValueError, match="cannot be picked"):
        agent.choose(AgentStatus.ON_CALL)


def test_busy_action_follows_the_setting(settings: dict[str, Any], agent: Agent) -> None:
    confirm(agent, "c1")
    assert agent.busy_action == "decline"
    assert agent.incoming_call_action() == "decline"
    settings["agent.busy_action"] = "ring"
    assert agent.incoming_call_action() == "ring"
    assert BUSY_CODE == 486


def test_reads_the_real_settings(tmp_path: Path, clock: Clock) -> None:
    settings = Settings(tmp_path / "settings.toml")
    settings.set("wrapup.seconds", 15)
    settings.set("agent.busy_action", "ring")
    agent = Agent(settings, clock=clock)
    confirm(agent, "c1")
    end(agent, "c1")
    assert agent.remaining() == 15
    assert agent.busy_action == "ring"


def test_a_failing_listener_does_not_stop_the_others(agent: Agent) -> None:
    seen: list[AgentStatus] = []

    def broken(_state: AgentState) -> None:
        raise RuntimeError("boom")

    agent.add_listener(broken)
    agent.add_listener(lambda state: seen.append(state.status))
    agent.set_break()
    assert seen == [AgentStatus.BREAK]
    agent.remove_listener(broken)
    agent.set_available()
    assert seen == [AgentStatus.BREAK, AgentStatus.AVAILABLE]


def test_call_log_from_history_entry_and_wrapup() -> None:
    callback = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    log = call_log(entry("c1"), WrapUp(" Order taken ", "Wants the <b>spring</b> list",
                                       callback),
                   customer_id="C-1001", agent="1001")
    assert log.customer_id == "C-1001"
    assert log.direction == CallDirection.INBOUND
    assert log.started_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert log.duration_seconds == 95
    assert log.disposition == "Order taken"
    assert log.notes == "Wants the <b>spring</b> list"
    assert log.callback_at == callback
    assert log.phone == CALLER.number and log.call_id == "c1" and log.agent == "1001"


def test_call_log_outbound_unknown_customer_local_callback() -> None:
    log = call_log(entry("out-1", "outgoing", duration=0.2),
                   WrapUp("Callback requested", callback_at=datetime(2025, 3, 4, 9, 30)))
    assert log.direction == CallDirection.OUTBOUND
    assert log.customer_id is None
    assert log.duration_seconds == 0
    assert log.callback_at is not None and log.callback_at.tzinfo is not None


def test_call_log_refuses_an_oversized_disposition() -> None:
    with pytest.raises(ValidationError):
        call_log(entry("c1"), WrapUp("x" * 201))


def test_agent_module_imports_no_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, softphone.agent\n"
            "print(','.join(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
