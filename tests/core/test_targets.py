import pytest

from softphone.errors import UserFacingError
from softphone.targets import normalise_dial_target


@pytest.mark.parametrize(("typed", "expected"), [
    ("1001", "1001"),
    (" +49 (30) 123-45 ", "+493012345"),
    ("tel:+1-202-555-0100", "+12025550100"),
    ("tel:+12025550100;phone-context=x", "+12025550100"),
    ("sip:bob@127.0.0.1:5060", "sip:bob@127.0.0.1:5060"),
    ("sips:bob@pbx.example.com", "sips:bob@pbx.example.com"),
    ("bob@pbx.example.com", "sip:bob@pbx.example.com"),
    ("*97", "*97"),
    ("callto:1001", "1001"),
    ("callto://+40 720 000 007", "+40720000007"),
])
def test_accepted_targets(typed: str, expected: str) -> None:
    assert normalise_dial_target(typed) == expected


@pytest.mark.parametrize("typed", [
    "", "   ", "sip:", "sip:bob@", "sip:a b@host", "<script>", "x" * 300,
    "sip:bob@host\r\nVia: evil", "hello world", "callto:", "callto://",
])
def test_rejected_targets_have_words_for_the_agent(typed: str) -> None:
    with pytest.raises(UserFacingError):
        normalise_dial_target(typed)
