"""The app's client of the CRM connector API (``softphone.crm.schema``), on httpx.

Everything a server sends is untrusted: bodies are read as a stream up to a size bound,
parsed and validated with the schema's models, and every failure becomes one of four
typed errors the sync can act on:

- ``CrmUnavailable`` (retry later): no connection, timeout, 5xx, and the 4xx that ask
  for a later try (408, 425, 429);
- ``CrmAuthFailed`` (tell the agent): 401, the token was refused;
- ``CrmRejected`` (this request is wrong, retrying cannot help): any other 4xx;
- ``CrmBadResponse`` (the server misbehaves): malformed, mistyped or oversized bodies;
  its subclass ``CrmUnreadableAcceptance`` when that body answers a write with a 2xx
  (the CRM took the record, but its id and number are unknown).

Blocking; made for the sync worker thread. Imports no Qt.
"""

from __future__ import annotations

import ssl
import time
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from softphone.crm.schema import (
    API_PREFIX,
    IDEMPOTENCY_HEADER,
    CallLog,
    CallLogCreate,
    CallLogList,
    ChangePage,
    Customer,
    CustomerLead,
    CustomerList,
    ErrorBody,
    Health,
    Order,
    OrderCreate,
    OrderList,
    PriceLists,
    ProductCatalogue,
    UsualForType,
)
from softphone.errors import EnvironmentalError, UserFacingError

M = TypeVar("M", bound=BaseModel)

MAX_BODY = 8 * 1024 * 1024
MAX_CATALOGUE_BODY = 128 * 1024 * 1024  # up to 200,000 products
MAX_USUAL_BODY = 256 * 1024  # five types of 50 SKUs of 64 characters fit many times over
_CHUNK = 64 * 1024
# How much of a bad answer an error keeps, for the log.
HEAD_BYTES = 64
# 4xx answers that mean "not now" rather than "not this": timeout, too early, too many.
RETRY_LATER = frozenset({408, 425, 429})


class CrmError(Exception):
    """Base of the CRM client's errors."""


class CrmUnavailable(CrmError, EnvironmentalError):
    """The CRM could not be reached or failed on its side; try again later."""


class CrmBadResponse(CrmError, EnvironmentalError):
    """The CRM answered with something that is not what the API promises: ``status`` is
    the answer's HTTP status and ``head`` the first bytes of its body, when known."""

    def __init__(self, message: str, *, status: int | None = None,
                 head: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.head = head[:HEAD_BYTES]


class CrmUnreadableAcceptance(CrmBadResponse):
    """A write was answered with a 2xx (the CRM accepted it), but the answer cannot be
    read: an unknown 2xx status, or a body that is malformed, mistyped or too large."""


class CrmAuthFailed(CrmError, UserFacingError):
    """The CRM refused the token."""

    def __init__(self) -> None:
        super().__init__("the CRM refused the token")


class CrmRejected(CrmError, UserFacingError):
    """The CRM refused this request (4xx other than 401); the body says why."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        super().__init__(body.message)
        self.status = status
        self.body = body


def _short_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "json_invalid":
        return "the CRM sent malformed JSON"
    return f"the CRM sent an invalid {where or 'document'}: {first['msg']}"[:200]


def parse(model: type[M], body: bytes) -> M:
    """``body`` validated as ``model``, or ``CrmBadResponse``. Any thread."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise CrmBadResponse(_short_reason(exc)) from None


def _error_body(status: int, body: bytes) -> ErrorBody:
    try:
        return ErrorBody.model_validate_json(body)
    except ValidationError:
        return ErrorBody(code=f"http_{status}", message=f"the CRM refused the request ({status})")


class CrmClient:
    """One CRM server: base URL, bearer token, TLS verification, timeouts. Sync thread.

    ``timeout`` bounds each request as a whole, from connecting to the last byte.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0,
                 ca_file: str = "", transport: httpx.BaseTransport | None = None) -> None:
        self.timeout = timeout
        verify = ssl.create_default_context(cafile=ca_file or None)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            verify=verify,
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CrmClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, *, limit: int = MAX_BODY,
                 params: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                 content: bytes | None = None) -> tuple[httpx.Response, bytes]:
        """Send one request; the response and its body (at most ``limit`` bytes)."""
        deadline = time.monotonic() + self.timeout
        try:
            with self._http.stream(method, path, params=params, headers=headers,
                                   content=content) as response:
                body = _read_answer(response, limit, deadline)
        except httpx.TimeoutException:
            raise CrmUnavailable("the CRM did not answer in time") from None
        except httpx.TransportError as exc:
            raise CrmUnavailable(f"the CRM is unreachable ({_transport_reason(exc)})") from None
        _check_status(response, body)
        return response, body

    def _get(self, model: type[M], path: str, params: dict[str, str] | None = None) -> M:
        _response, body = self._request("GET", path, params=params)
        return parse(model, body)

    def _get_tagged(self, model: type[M], path: str, etag: str | None,
                    limit: int) -> tuple[M | None, str | None]:
        headers = {"If-None-Match": etag} if etag else None
        response, body = self._request("GET", path, headers=headers, limit=limit)
        if response.status_code == 304:
            return None, etag
        return parse(model, body), response.headers.get("ETag")

    def _post(self, model: type[M], path: str, key: str, document: BaseModel) -> M:
        """POST a write; a 2xx whose answer cannot be read is ``CrmUnreadableAcceptance``."""
        headers = {IDEMPOTENCY_HEADER: key, "Content-Type": "application/json"}
        try:
            response, body = self._request("POST", path, headers=headers,
                                           content=document.model_dump_json().encode())
        except CrmBadResponse as exc:
            if exc.status is None or not 200 <= exc.status < 300:
                raise
            raise CrmUnreadableAcceptance(str(exc), status=exc.status, head=exc.head) from None
        if response.status_code not in (200, 201):  # a 304 does not answer a write
            raise CrmBadResponse(_unexpected(response.status_code), status=response.status_code)
        try:
            return parse(model, body)
        except CrmBadResponse as exc:
            raise CrmUnreadableAcceptance(str(exc), status=response.status_code,
                                          head=body) from None

    # ------------------------------------------------------------------ API

    def health(self) -> Health:
        return self._get(Health, "/health")

    def lookup(self, phone: str) -> list[Customer]:
        return self._get(CustomerList, "/customers/lookup", {"phone": phone}).customers

    def customer(self, customer_id: str) -> Customer:
        return self._get(Customer, f"/customers/{quote(customer_id, safe='')}")

    def recent_orders(self, customer_id: str, limit: int = 20) -> list[Order]:
        path = f"/customers/{quote(customer_id, safe='')}/orders"
        return self._get(OrderList, path, {"limit": str(limit)}).orders

    def recent_calls(self, customer_id: str, limit: int = 20) -> list[CallLog]:
        path = f"/customers/{quote(customer_id, safe='')}/calls"
        return self._get(CallLogList, path, {"limit": str(limit)}).calls

    def changes(self, cursor: str | None, limit: int = 1000) -> ChangePage:
        params = {"limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        return self._get(ChangePage, "/changes", params)

    def products(self, etag: str | None) -> tuple[ProductCatalogue | None, str | None]:
        """The catalogue and its ETag; None when unchanged since ``etag`` (304)."""
        return self._get_tagged(ProductCatalogue, "/products", etag, MAX_CATALOGUE_BODY)

    def price_lists(self, etag: str | None) -> tuple[PriceLists | None, str | None]:
        """The price lists and their ETag; None when unchanged since ``etag`` (304)."""
        return self._get_tagged(PriceLists, "/price-lists", etag, MAX_BODY)

    def usual_for_type(self, etag: str | None) -> tuple[UsualForType | None, str | None]:
        """The SKUs usual for each customer type and their ETag; None when unchanged since
        ``etag`` (304). A CRM older than this endpoint answers 404: ``CrmRejected``."""
        return self._get_tagged(UsualForType, "/products/usual-for-type", etag, MAX_USUAL_BODY)

    def create_order(self, key: str, order: OrderCreate) -> Order:
        return self._post(Order, "/orders", key, order)

    def create_call_log(self, key: str, call_log: CallLogCreate) -> CallLog:
        return self._post(CallLog, "/call-logs", key, call_log)

    def create_lead(self, key: str, lead: CustomerLead) -> Customer:
        """Record a first-time caller; the CRM answers with the new customer (type new)."""
        return self._post(Customer, "/customers/leads", key, lead)


def _read_bounded(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """Sync thread: the body, refused once it passes ``limit`` bytes or the deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise CrmBadResponse(f"the CRM's answer is too large ({int(declared)} bytes)")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise CrmBadResponse(f"the CRM's answer is too large (over {limit} bytes)")
        if time.monotonic() > deadline:
            raise CrmUnavailable("the CRM did not answer in time")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_answer(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """Sync thread: the body (as ``_read_bounded``). An oversized one raises what its status
    means (a 4xx is still a refusal, a 5xx a failure), else a bad answer with its status."""
    try:
        return _read_bounded(response, limit, deadline)
    except CrmBadResponse as exc:
        _check_status(response, b"")
        raise CrmBadResponse(str(exc), status=response.status_code) from None


def _unexpected(status: int) -> str:
    """The message for an HTTP status the API does not use. Any thread."""
    return f"the CRM answered with an unexpected status ({status})"


def _check_status(response: httpx.Response, body: bytes) -> None:
    status = response.status_code
    if status in (200, 201, 304):
        return
    if status == 401:
        raise CrmAuthFailed()
    if status in RETRY_LATER:
        raise CrmUnavailable(f"the CRM asked to try again later ({status})")
    if 400 <= status < 500:
        raise CrmRejected(status, _error_body(status, body))
    if status >= 500:
        raise CrmUnavailable(f"the CRM failed on its side ({status})")
    raise CrmBadResponse(_unexpected(status), status=status, head=body)


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE" in str(exc).upper():
            return "its certificate is not trusted"
        return "cannot connect"
    return "the connection broke"
