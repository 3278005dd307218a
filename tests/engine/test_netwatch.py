"""The route check used to notice a changed local address."""

from __future__ import annotations

from softphone.engine.netwatch import local_address_towards, split_host_port


def test_split_host_port() -> None:
    assert split_host_port("pbx.example.com") == ("pbx.example.com", 5060)
    assert split_host_port("10.0.0.1:5070") == ("10.0.0.1", 5070)
    assert split_host_port("[2001:db8::1]:5080") == ("2001:db8::1", 5080)
    assert split_host_port("2001:db8::1") == ("2001:db8::1", 5060)


def test_local_address_towards_loopback() -> None:
    assert local_address_towards("127.0.0.1", 5060) == "127.0.0.1"


def test_unresolvable_host_gives_empty() -> None:
    assert local_address_towards("no-such-host.invalid", 5060) == ""
