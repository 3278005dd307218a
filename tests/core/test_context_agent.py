"""The app's context turns calls away while the agent is not Available."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import protocol
from softphone.context import AppContext
from softphone.crm.schema import Customer
from softphone.paths import Profile
from tests.peers.net import wait_until
from tests.sync.helpers import customer


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


def test_a_key_account_caller_rings_with_its_own_tone(
    context: tuple[AppContext, list[protocol.Command]],
) -> None:
    app, sent = context
    assert app.sync is not None
    app.sync.store_fetched([
        Customer.model_validate(customer(1, type="key", phones=["+842838221234"])),
        Customer.model_validate(customer(2, phones=["+842838225555"])),
    ], {}).result(10)
    ring(app, "c1")
    wait_until(lambda: protocol.SetRingStyle("c1", "key_account") in sent, timeout=10,
               message="the key-account tone was never asked for")

    remote = protocol.RemoteParty("Lan", "+842838225555", "sip:lan@pbx")
    app.phone._handle_engine_event(protocol.IncomingCall("c2", remote))
    assert app.screenpop is not None
    wait_until(lambda: (app.screenpop.current() or None) is not None
               and app.screenpop.current().call_id == "c2", timeout=10)  # type: ignore[union-attr]
    assert not any(isinstance(c, protocol.SetRingStyle) and c.call_id == "c2" for c in sent)
