"""Dial targets: numbers, tel: and sip: URIs become one SIP URI; junk is refused."""

from __future__ import annotations

import pytest

from softphone.errors import UserFacingError
from softphone.targets import normalize_target, uri_domain, uri_user

DOMAIN = "pbx.example.com:5070"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1001", "sip:1001@pbx.example.com:5070"),
        (" +49 (30) 123-45 ", "sip:+493012345@pbx.example.com:5070"),
        ("tel:+1-202-555-0100", "sip:+12025550100@pbx.example.com:5070"),
        ("tel:+12025550100;phone-context=x", "sip:+12025550100@pbx.example.com:5070"),
        ("*97", "sip:*97@pbx.example.com:5070"),
        ("12#", "sip:12%23@pbx.example.com:5070"),
        ("manager", "sip:manager@pbx.example.com:5070"),
        ("sip:bob@127.0.0.1:5060", "sip:bob@127.0.0.1:5060"),
        ("SIP:bob@host;transport=tcp", "sip:bob@host;transport=tcp"),
        ("sips:bob@pbx.example.com", "sips:bob@pbx.example.com"),
        ("bob@pbx.example.com", "sip:bob@pbx.example.com"),
    ],
)
def test_accepted_targets(typed: str, expected: str) -> None:
    assert normalize_target(typed, DOMAIN) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "sip:",
        "sip:bob@",
        "sip:a b@host",
        "<script>",
        "x" * 300,
        "sip:bob@host\r\nVia: evil",
        "hello world",
        "tel:abc",
        "sip:bob@host>;x",
        "1001\x00",
        'sip:"bob"@host',
    ],
)
def test_rejected_targets_have_words_for_the_agent(typed: str) -> None:
    with pytest.raises(UserFacingError) as info:
        normalize_target(typed, DOMAIN)
    assert "\n" not in str(info.value) and "\x00" not in str(info.value)


def test_number_without_account_domain_is_refused() -> None:
    with pytest.raises(UserFacingError, match="no SIP account"):
        normalize_target("1001", "")


def test_uri_parts() -> None:
    assert uri_domain('"Agent" <sip:agent@10.0.0.1:5070;transport=tcp>') == "10.0.0.1:5070"
    assert uri_domain("sip:pbx.example.com") == "pbx.example.com"
    assert uri_domain("pbx.example.com:5080") == "pbx.example.com:5080"
    assert uri_user("sip:agent@10.0.0.1") == "agent"
    assert uri_user("sip:pbx.example.com") == ""
