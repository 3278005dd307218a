"""The support bundle's redactor: pure text in, text out."""

from __future__ import annotations

from softphone.redact import Redactor, redact, redact_url, secret_like

TRACE = """\
2026-05-01 10:00:00,123 DEBUG MainThread pjsip: RX 812 bytes Request msg INVITE/cseq=1 \
from UDP 127.0.0.1:5060:
INVITE sip:agent@127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK.abc
From: "Zebulon Quartermaine" <sip:customer@127.0.0.1>;tag=77
To: <sip:agent@127.0.0.1>
Contact: <sip:customer@127.0.0.1:5070>
P-Asserted-Identity: "Zebulon Q" <tel:+40720000007>
f: <sip:compact@127.0.0.1>
Call-ID: 1234abc
CSeq: 1 INVITE
Content-Length: 0
2026-05-01 10:00:01,000 INFO MainThread softphone.phone: registered in 12 ms
"""


def test_identity_headers_uris_and_display_names_go() -> None:
    out = redact(TRACE)
    for gone in ("Zebulon", "Quartermaine", "customer@", "agent@", "compact@",
                 "40720000007"):
        assert gone not in out, gone
    assert "From: <removed>" in out
    assert "f: <removed>" in out
    assert "INVITE sip:<user>@127.0.0.1:5060 SIP/2.0" in out
    assert "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK.abc" in out
    assert "CSeq: 1 INVITE" in out
    assert "registered in 12 ms" in out
    assert out.startswith("2026-05-01 10:00:00,123 DEBUG")


def test_quoted_names_outside_headers_numbers_and_emails() -> None:
    text = ('call from "Ann Smith" <sip:2125550100@pbx> ended; mail ann.smith@example.com; '
            "dialled +1 212-555-0100 and 0720000007; tel:+4930123; pid 4242")
    out = redact(text)
    assert "Ann Smith" not in out and "ann.smith" not in out
    assert "2125550100" not in out and "555-0100" not in out and "0720000007" not in out
    assert "4930123" not in out
    assert '"<name>" <sip:<user>@pbx>' in out
    assert "pid 4242" in out  # short numbers are not phone numbers


def test_known_secrets_and_customer_words_any_case() -> None:
    redactor = Redactor.build(["s3cr3t-pass", "tok/en+=", None, ""],
                              ["Zebulon Quartermaine", "Acme Widgets", "0720 000 007", "Al"])
    text = ("password was s3cr3t-pass; header tok%2Fen%2B%3D; "
            "ZEBULON  quartermaine of acme widgets called from 0720000007; Al said hi")
    out = redactor(text)
    assert "s3cr3t" not in out and "tok" not in out
    assert "ZEBULON" not in out and "quartermaine" not in out and "acme" not in out
    assert "0720" not in out
    assert "Al said hi" in out  # two letters are too short to be told from ordinary text


def test_words_match_whole_words_only() -> None:
    redactor = Redactor.build([], ["Dan Ro"])
    assert redactor("Dan Ro called; Dan Rosen did not") == "<customer> called; Dan Rosen did not"


def test_setting_names_and_urls() -> None:
    assert secret_like("sip.password") and secret_like("crm.api_token")
    assert secret_like("x.key") and not secret_like("audio.key_account_ringtone")
    assert not secret_like("sip.uri")
    assert (redact_url("https://joe:pw@it.example.com/p?token=abc&x=1")
            == "https://<removed>@it.example.com/p?token=<removed>&x=<removed>")
    assert redact_url("sip:1001@pbx") == "sip:1001@pbx"
