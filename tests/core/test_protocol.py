import pytest

from softphone import protocol as p


def test_round_trip_keeps_every_field() -> None:
    messages = [
        p.Register(p.AccountConfig("sip:1001@pbx", "sip:pbx", "1001", "pw", transport="tls")),
        p.Dial("out-1", "sip:200@pbx"),
        p.CallStateChanged("c1", "confirmed", "incoming",
                           p.RemoteParty("<b>Boss</b>", "+4930123", "sip:+4930123@pbx")),
        p.DevicesChanged(["mic"], ["headset", "speaker"], "mic", "headset", "speaker",
                         ["Headset missing"]),
        p.AudioLevels(0.5, 1),
    ]
    for message in messages:
        assert p.decode(p.encode(message)) == message


@pytest.mark.parametrize("line", [
    b"not json",
    b"[]",
    b'{"type": "Nope"}',
    b'{"type": "Mute", "muted": 1}',
    b'{"type": "Mute"}',
    b'{"type": "Mute", "muted": true, "extra": 1}',
    b'{"type": "CallStateChanged", "call_id": "c", "state": "dancing", "direction": "incoming",'
    b' "remote": {}}',
    b'{"type": "Register", "account": "sip:x"}',
    b'{"type": "Dial", "call_id": "c", "target": ' + b'"x' * 200000 + b'"}',
])
def test_bad_lines_are_rejected_not_half_built(line: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.decode(line)


def test_encoded_message_is_one_line() -> None:
    line = p.encode(p.IncomingCall("c", p.RemoteParty("a\nb", "1", "sip:1@x")))
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
