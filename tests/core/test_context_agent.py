"""The app's context turns calls away while the agent is not Available."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import protocol
from softphone.context import AppContext
from softphone.paths import Profile


@pytest.fixture
def context(tmp_path: Path) -> Iterator[tuple[AppContext, list[protocol.Command]]]:
    made = AppContext.create(Profile.from_dir(tmp_path))
    sent: list[protocol.Command] = []
    made.phone._supervisor.send = lambda command: sent.append(command) or True  # type: ignore[method-assign]
    try:
        yield made, sent
    finally:
        made.close()


def ring(context: AppContext, call_id: str) -> None:
    remote = protocol.RemoteParty("Mai", "+842838221234", "sip:mai@pbx")
    context.phone._handle_engine_event(protocol.IncomingCall(call_id, remote))


def test_calls_on_break_are_declined_busy_and_ring_when_available(
    context: tuple[AppContext, list[protocol.Command]],
) -> None:
    app, sent = context
    assert app.agent is not None
    app.agent.set_break()
    ring(app, "c1")
    assert protocol.Decline("c1", 486) in sent

    app.settings.set("agent.busy_action", "ring")
    ring(app, "c2")
    assert not any(isinstance(c, protocol.Decline) and c.call_id == "c2" for c in sent)

    app.settings.set("agent.busy_action", "decline")
    app.agent.set_available()
    ring(app, "c3")
    assert not any(isinstance(c, protocol.Decline) and c.call_id == "c3" for c in sent)
    assert app.status()["agent"] == {"status": "available"}
