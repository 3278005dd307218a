"""Commands as the engine logs them: by call id, never whom or what was typed."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from softphone import protocol as P
from softphone.engine.channel import PRIVATE_FIELDS, describe, error_for_log

#: Every command field reviewed as no customer data: ids, codes, flags, devices, files.
LOGGED_FIELDS = frozenset({
    "call_id", "code", "muted", "style", "config", "microphone", "speaker", "ringer",
    "seconds", "fallback_devices", "return_to_headset", "ring_on", "ring_volume",
    "ringtone", "key_account_ringtone",
})


def test_every_command_field_is_either_logged_or_private() -> None:
    """A new field must be reviewed before it reaches the log."""
    for command in typing.get_args(P.Command):
        if command is P.Register:
            continue  # described by hand: its account without the password
        for field in dataclasses.fields(command):
            assert field.name in LOGGED_FIELDS | PRIVATE_FIELDS, (command.__name__, field.name)


@pytest.mark.parametrize(("command", "text"), [
    (P.Dial("out-3f2a", "0213334455"), "Dial(call_id='out-3f2a')"),
    (P.Dial("out-1", "sip:ottilie.brandt@example.com"), "Dial(call_id='out-1')"),
    (P.Transfer("in-1", "+40319876543"), "Transfer(call_id='in-1')"),
    (P.SendDtmf("in-1", "4929175311#"), "SendDtmf(call_id='in-1')"),
    (P.Decline("in-2", 603), "Decline(call_id='in-2', code=603)"),
    (P.Mute(True), "Mute(muted=True)"),
    (P.Shutdown(), "Shutdown()"),
    (P.SetDevices(microphone="Jabra", speaker="Jabra"),
     "SetDevices(microphone='Jabra', speaker='Jabra', ringer='')"),
])
def test_commands_are_described_without_targets_or_digits(command: P.Command,
                                                           text: str) -> None:
    assert describe(command) == text


def test_register_is_described_without_its_password() -> None:
    account = P.AccountConfig(uri="sip:1001@pbx", registrar="pbx", username="1001",
                              password="s3cret!", display_name="Agent Smith")
    text = describe(P.Register(account))
    assert text == "Register(uri='sip:1001@pbx', registrar='pbx', transport=udp)"


@pytest.mark.parametrize(("error", "logged"), [
    ("Dial.target: 213334455 does not match str", "Dial.target"),
    ("SendDtmf.digits: expected str, got 4929175311", "SendDtmf.digits"),
    ("not JSON: Expecting value: line 1 column 1 (char 0)", "not JSON"),
    ("command longer than 262144 bytes", "command longer than 262144 bytes"),
])
def test_a_bad_commands_error_is_logged_without_the_value_it_quotes(error: str,
                                                                    logged: str) -> None:
    assert error_for_log(error) == logged
