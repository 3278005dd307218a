"""Caller identity from untrusted SIP headers."""

from __future__ import annotations

from softphone.engine.identity import (
    MAX_DISPLAY_NAME,
    MAX_NUMBER,
    MAX_URI,
    clean_text,
    parse_name_addr,
    party_from_value,
    remote_party_from_message,
)
from softphone.protocol import RemoteParty


def invite(*headers: str) -> str:
    lines = [
        "INVITE sip:agent@127.0.0.1:5060 SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        *headers,
        "To: <sip:agent@127.0.0.1>",
        "Call-ID: 1@x",
        "CSeq: 1 INVITE",
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + '\r\n\r\nv=0\r\nFrom: "Body" <sip:body@x>\r\n'


def test_from_header_gives_name_and_number() -> None:
    msg = invite('From: "Jane Customer" <sip:+4930123@pbx.example.com>;tag=abc')
    assert remote_party_from_message(msg) == RemoteParty(
        "Jane Customer", "+4930123", "sip:+4930123@pbx.example.com"
    )


def test_p_asserted_identity_wins_over_from() -> None:
    msg = invite(
        'From: "Spoofed" <sip:1111@evil.example>;tag=1',
        'P-Asserted-Identity: "Real Name" <sip:2222@carrier.example>, <tel:+492222>',
    )
    party = remote_party_from_message(msg)
    assert (party.display_name, party.number) == ("Real Name", "2222")


def test_pai_tel_uri_only() -> None:
    msg = invite("From: <sip:x@y>;tag=1", "P-Asserted-Identity: <tel:+12025550100>")
    party = remote_party_from_message(msg)
    assert party.number == "+12025550100"
    assert party.uri == "tel:+12025550100"


def test_pai_without_name_borrows_from_name_for_same_number() -> None:
    msg = invite('From: "Jane" <sip:555@pbx>;tag=1', "P-Asserted-Identity: <sip:555@pbx>")
    assert remote_party_from_message(msg).display_name == "Jane"


def test_remote_party_id_when_no_pai() -> None:
    msg = invite(
        'From: "Front" <sip:1@x>;tag=1',
        'Remote-Party-ID: "Rpid Name" <sip:777@gw.example>;party=calling;screen=yes',
    )
    party = remote_party_from_message(msg)
    assert (party.display_name, party.number) == ("Rpid Name", "777")


def test_rpid_privacy_full_is_anonymous() -> None:
    msg = invite(
        'From: "Front" <sip:1@x>;tag=1',
        'Remote-Party-ID: "Hidden" <sip:777@gw>;party=calling;privacy=full',
    )
    assert remote_party_from_message(msg) == RemoteParty("Anonymous", "", "")


def test_anonymous_from() -> None:
    msg = invite('From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=1')
    assert remote_party_from_message(msg) == RemoteParty("Anonymous", "", "")
    msg = invite("From: <sip:restricted@pbx.example>;tag=1")
    assert remote_party_from_message(msg).number == ""


def test_compact_from_and_bare_uri() -> None:
    msg = invite("f: sip:4711@host;tag=9")
    assert remote_party_from_message(msg) == RemoteParty("", "4711", "sip:4711@host")


def test_unquoted_display_name_and_escapes() -> None:
    assert parse_name_addr("Bob Smith <sip:b@h>") is not None
    assert party_from_value("Bob Smith <sip:b@h>").display_name == "Bob Smith"
    assert party_from_value(r'"Say \"hi\"" <sip:b@h>').display_name == 'Say "hi"'


def test_markup_is_kept_literally() -> None:
    msg = invite('From: "<b>Boss</b> <img src=x onerror=alert(1)>" <sip:1@h>;tag=1')
    assert remote_party_from_message(msg).display_name == (
        "<b>Boss</b> <img src=x onerror=alert(1)>"
    )


def test_control_and_bidi_characters_are_removed() -> None:
    msg = invite('From: "Evil\x07\x1b[31m\u202eName\x00" <sip:1\x01@h>;tag=1')
    party = remote_party_from_message(msg)
    assert all(c.isprintable() for c in party.display_name + party.number)
    assert "\u202e" not in party.display_name
    assert party.display_name.startswith("Evil")


def test_persian_name_is_kept() -> None:
    assert clean_text("\u0645\u0631\u06cc\u0645 \u0631\u0636\u0627\u06cc\u06cc", 128) == (
        "\u0645\u0631\u06cc\u0645 \u0631\u0636\u0627\u06cc\u06cc"
    )


def test_oversize_values_are_bounded() -> None:
    long_user = "9" * 500
    msg = invite(f'From: "{"N" * 5000}" <sip:{long_user}@{"h" * 400}.example>;tag=1')
    party = remote_party_from_message(msg)
    assert len(party.display_name) == MAX_DISPLAY_NAME
    assert len(party.number) == MAX_NUMBER
    assert len(party.uri) == MAX_URI


def test_garbage_gives_empty_party() -> None:
    assert remote_party_from_message("") == RemoteParty()
    assert remote_party_from_message("\x00\xff garbage\r\n\r\n") == RemoteParty()
    assert remote_party_from_message(invite('From: "unterminated <sip:1@h>')) == RemoteParty()
    assert party_from_value("not a uri") == RemoteParty()


def test_undecodable_bytes_do_not_survive() -> None:
    text = b'From: "Caf\xe9" <sip:1@h>;tag=1'.decode("utf-8", "surrogateescape")
    party = remote_party_from_message(invite(text))
    party.display_name.encode("utf-8")  # no lone surrogates left
    assert party.display_name.startswith("Caf")
