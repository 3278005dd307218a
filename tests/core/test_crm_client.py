"""The CRM client against small fake servers: every failure becomes its typed error,
within the timeout."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from softphone.crm.client import (
    CrmAuthFailed,
    CrmBadResponse,
    CrmClient,
    CrmRejected,
    CrmUnavailable,
)
from softphone.crm.schema import Customer
from softphone.errors import EnvironmentalError, UserFacingError
from tests.peers.faults import FakeCrm, SilentServer, http_reply
from tests.peers.net import LOOPBACK, free_port

NOW = datetime(2026, 11, 1, tzinfo=UTC).isoformat()
CUSTOMER = {"id": "c1", "name": "Ana Pop", "type": "retail", "phones": ["+40721000001"],
            "updated_at": NOW}
PAGE = {"changes": [{"id": "c1", "customer": CUSTOMER}], "next_cursor": "7", "has_more": False}


def _client(url: str, timeout: float = 2.0) -> CrmClient:
    return CrmClient(url, "secret-token", timeout=timeout)


@pytest.fixture
def fake() -> Iterator[FakeCrm]:
    with FakeCrm(lambda _line, _body: http_reply(200, json.dumps(PAGE).encode())) as server:
        yield server


def test_valid_page_is_parsed_and_token_sent(fake: FakeCrm) -> None:
    seen: list[str] = []

    def responder(line: str, body: bytes) -> bytes:
        seen.append(line)
        return http_reply(200, json.dumps(PAGE).encode())

    fake.responder = responder
    with _client(fake.url) as client:
        page = client.changes("3", 500)
    assert page.next_cursor == "7"
    assert page.changes[0].customer == Customer.model_validate(CUSTOMER)
    assert seen == ["GET /api/v1/changes?limit=500&cursor=3 HTTP/1.1"]


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"changes": [', "malformed JSON"),
    (b"<html>oops</html>", "malformed JSON"),
    (json.dumps({**PAGE, "has_more": "maybe"}).encode(), "has_more"),
    (json.dumps({**PAGE, "next_cursor": 7}).encode(), "next_cursor"),
    (json.dumps({**PAGE, "changes": [{"id": "c1", "customer": {**CUSTOMER, "type": "vip"}}]})
     .encode(), "changes.0.customer.type"),
    (json.dumps({**PAGE, "extra": 1}).encode(), "extra"),
])
def test_bad_documents_are_refused_with_a_short_reason(fake: FakeCrm, body: bytes,
                                                       reason: str) -> None:
    fake.responder = lambda _l, _b: http_reply(200, body)
    with _client(fake.url) as client, pytest.raises(CrmBadResponse) as caught:
        client.changes(None)
    assert reason in str(caught.value)
    assert len(str(caught.value)) <= 200
    assert isinstance(caught.value, EnvironmentalError)


@pytest.mark.parametrize("declared", [True, False])
def test_a_10_mb_answer_is_refused(fake: FakeCrm, declared: bool) -> None:
    cursor = b"9" * (10 * 1024 * 1024)
    huge = b'{"changes": [], "next_cursor": "' + cursor + b'", "has_more": false}'
    fake.responder = lambda _l, _b: http_reply(200, huge, length=declared)
    with _client(fake.url, timeout=10) as client, pytest.raises(CrmBadResponse,
                                                                match="too large"):
        client.changes(None)


def test_a_server_that_never_answers_times_out() -> None:
    with SilentServer() as server, _client(server.url, timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(CrmUnavailable, match="did not answer in time"):
            client.changes(None)
        assert time.monotonic() - started < 2.5


def test_nothing_listening_is_unavailable() -> None:
    with _client(f"http://{LOOPBACK}:{free_port('tcp')}") as client, \
            pytest.raises(CrmUnavailable, match="cannot connect"):
        client.health()


def test_status_codes_map_to_error_kinds(fake: FakeCrm) -> None:
    error = {"code": "invalid", "message": "Unknown product",
             "fields": {"lines.0.sku": "no such product"}}
    answers = {
        401: (CrmAuthFailed, "the CRM refused the token"),
        422: (CrmRejected, "Unknown product"),
        409: (CrmRejected, "Unknown product"),
        503: (CrmUnavailable, "503"),
        302: (CrmBadResponse, "302"),
    }
    for status, (kind, text) in answers.items():
        fake.responder = lambda _l, _b, s=status: http_reply(s, json.dumps(error).encode())
        with _client(fake.url) as client, pytest.raises(kind, match=text) as caught:
            client.customer("c1")
        if status == 422:
            assert isinstance(caught.value, CrmRejected)
            assert caught.value.status == 422
            assert caught.value.body.fields == {"lines.0.sku": "no such product"}
        if status == 401:
            assert isinstance(caught.value, UserFacingError)


def test_a_4xx_without_an_error_body_still_has_a_message(fake: FakeCrm) -> None:
    fake.responder = lambda _l, _b: http_reply(404, b"not found", content_type="text/plain")
    with _client(fake.url) as client, pytest.raises(CrmRejected) as caught:
        client.customer("c1")
    assert caught.value.body.code == "http_404"


def test_etag_round_trip(fake: FakeCrm) -> None:
    catalogue = {"products": [{"sku": "A-1", "name": "Tea", "prices": {"retail": "2.50"},
                               "updated_at": NOW}]}

    def responder(line: str, _body: bytes) -> bytes:
        return http_reply(200, json.dumps(catalogue).encode(), extra_headers='ETag: "v1"\r\n')

    fake.responder = responder
    with _client(fake.url) as client:
        document, etag = client.products(None)
        assert document is not None
        assert document.products[0].sku == "A-1"
        assert etag == '"v1"'
        fake.responder = lambda _l, _b: http_reply(304, b"", extra_headers='ETag: "v1"\r\n')
        assert client.products(etag) == (None, '"v1"')
