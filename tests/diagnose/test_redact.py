"""The support bundle's redactor: pure text in, text out."""

from __future__ import annotations

import random
import re
import string
import time

from softphone import redact as redact_module
from softphone.redact import CUSTOMER, KnownWords, Redactor, redact, redact_url, secret_like

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


# ------------------------------------------------------------------ display names


def test_quoted_display_names_in_front_of_every_uri_kind() -> None:
    text = ('transfer of "Ann Smith" <sip:ann@pbx>, "Bob Jones"<sips:bob@pbx>; '
            '"Cy Twombly" < tel:+40720000007>')
    out = redact(text)
    assert out == ('transfer of "<name>" <sip:<user>@pbx>, "<name>"<sips:<user>@pbx>; '
                   '"<name>" < tel:<user>>')


def test_quoted_display_name_with_escaped_quotes() -> None:
    out = redact(r'call from "Jane \"JJ\" Doe" <sip:0720000007@pbx> ended')
    assert out == 'call from "<name>" <sip:<user>@pbx> ended'
    # The same name as it appears inside a JSON string: the backslashes stay, the name goes.
    out = redact(r'{"remote": "\"Jane \\\"JJ\\\" Doe\" <sip:1@pbx>"}')
    assert "Jane" not in out and "JJ" not in out and "Doe" not in out
    assert "<sip:<user>@pbx>" in out


def test_unquoted_display_name_goes_and_the_log_text_before_it_stays() -> None:
    line = ("2026-05-01 10:00:00,000 INFO MainThread softphone.test: call from "
            "Jane Doe <sip:0720000007@pbx> ended")
    assert redact(line) == ("2026-05-01 10:00:00,000 INFO MainThread softphone.test: "
                            "call from <name> <sip:<user>@pbx> ended")
    assert redact("Jane Doe <tel:+40720000007>") == "<name> <tel:<user>>"
    assert (redact("Incoming call from jane doe <SIPS:jd@pbx>")
            == "Incoming call from <name> <SIPS:<user>@pbx>")
    assert (redact("peers=Ann Lee <sip:a@pbx>, Bob Ray <sip:b@pbx> (Cy Ash <sip:c@pbx>)")
            == "peers=<name> <sip:<user>@pbx>, <name> <sip:<user>@pbx> "
               "(<name> <sip:<user>@pbx>)")
    # A short word that may be a name is not taken for ordinary text when capitalised.
    assert redact("to To Anh <sip:t@pbx>") == "to <name> <sip:<user>@pbx>"


def test_only_what_is_between_the_delimiter_and_the_uri_goes() -> None:
    kept = "call 7f3a: transfer to <sip:1001@pbx> done; registered in 12 ms"
    assert redact(kept) == "call 7f3a: transfer to <sip:<user>@pbx> done; registered in 12 ms"
    # Words that are not ordinary may be a name: when in doubt they go.
    assert redact("transfer of 7f3a to <sip:1001@pbx>") == "transfer of <name> <sip:<user>@pbx>"
    assert redact("Route: <sip:proxy.example.com;lr>") == "Route: <sip:proxy.example.com;lr>"
    assert redact("no uri here: Jane Doe <jane> ok") == "no uri here: Jane Doe <jane> ok"
    assert redact("state=calling Jane<sip:j@pbx>") == "state=calling <name><sip:<user>@pbx>"


def test_unicode_names_quoted_unquoted_and_known() -> None:
    assert redact('"Zoë Ångström" <sip:z@pbx>') == '"<name>" <sip:<user>@pbx>'
    assert (redact("callee: Zoë Ångström <sip:z@pbx>")
            == "callee: <name> <sip:<user>@pbx>")
    redactor = Redactor.build([], ["Zoë Ångström", "Nguyễn Thị Lan"])
    out = redactor("ZOË ÅNGSTRÖM asked for nguyễn thị lan")
    assert out == "<customer> asked for <customer>"


def test_known_numbers_are_found_with_separators() -> None:
    redactor = Redactor.build([], ["+40720000007", "0720 000 007", "201"])
    out = redactor("dialled (0720) 000-007, +40 720 000 007, lookup?phone=%2B40720000007; "
                   "ext 201, pid 2201, 2 0 1")
    assert "720" not in out and "000-007" not in out
    assert "ext <customer>, pid 2201, 2 0 1" in out  # short numbers: only as written


def test_a_100_kb_line_takes_milliseconds_whatever_it_holds() -> None:
    redactor = Redactor.build(["s3cr3t-pass"], ["Zoë Ångström", "+40720000007"])
    shapes = {
        "letters": "a" * 100_000,
        "dots": "a." * 50_000,
        "plus": "+1" * 50_000,
        "sip": "sip:" * 25_000,
        "escaped quotes": '"\\' * 50_000,
        "open quotes": '"a' * 50_000,
        "uris": "Jane <sip:" * 10_000,
        "words before a uri": "word " * 20_000 + "<sip:x@y>",
        "delimiters": ":(" * 50_000 + "<sip:x@y>",
        "spaced digits": "0 7 2 " * 16_000,
        "mails": "a@b." * 25_000,
        "headers": "From:" * 20_000,
    }
    for name, line in shapes.items():
        started = time.process_time()
        out = redactor(line + ' "Zoë Ångström" <sip:+40720000007@pbx>')
        spent = time.process_time() - started
        assert spent < 2.0, f"{name}: {spent:.2f} s"
        assert "Zoë" not in out and "40720000007" not in out, name


def test_known_words_finds_what_one_pattern_of_all_of_them_would() -> None:
    """The word index finds the same customer words as one alternation of their patterns."""
    rng = random.Random(7)
    names = ["Ann Lee", "Lotus Foods Ltd.", "O'Brien", "ann@lotus.example", "Zoë Ångström",
             "0720 000 007", "+40 720 000 007", "4930123456", "Bo-Ko", "(Acme)", "12345"]
    words = Redactor.build([], names).words
    every = re.compile("|".join(redact_module._word_part(w) for w in words), re.IGNORECASE)
    pieces = [*names, "annlee", "ann  lee", "ANN LEE", "0720-000-007", "(0720) 000 007",
              "720000007", "x", " ", ", ", "\n", ":", "OBrien", "lotus foods ltd", "123456",
              "%2B40720000007", "sip:", "<", ">", "Ann", "Lee"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        expected = every.sub(CUSTOMER, text)
        assert KnownWords(words).sub(CUSTOMER, text) == expected, repr(text)


def test_thousands_of_known_words_over_megabytes_of_log_stay_fast() -> None:
    """A busy agent's history (4,000 names and numbers) over 1.8 MB of log: one pattern
    with every word took 145 s of CPU; the word index takes well under one."""
    rng = random.Random(3)

    def name() -> str:
        return "".join(rng.choice(string.ascii_lowercase)
                       for _ in range(rng.randint(4, 9))).capitalize()

    words = ([f"{name()} {name()}" for _ in range(2000)]
             + [f"07{rng.randint(10**7, 10**8 - 1)}" for _ in range(2000)])
    redactor = Redactor.build([], words)
    log = "2026-11-24 10:00:00 INFO softphone.engine: call in-1 confirmed (200)\n" * 25_000
    log += f"lookup of {words[17]} at {words[2017][:4]} {words[2017][4:]}\n"
    started = time.process_time()
    out = redactor(log)
    spent = time.process_time() - started
    assert spent < 20.0, f"{spent:.1f} s"
    assert out.endswith("lookup of <customer> at <customer>\n")
