"""The CRM connector API v1 over HTTP, exactly as ``softphone.crm.schema`` describes it.

Route functions are plain ``def``: FastAPI runs each on a worker thread of its pool, where
it opens its own database session. Exception handlers run on the event loop thread.
Imports no Qt.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from softphone.crm import schema
from softphone.crm.server import idempotency, records, store, usual
from softphone.crm.server.database import Database
from softphone.crm.server.errors import ApiError, invalid
from softphone.numbers import to_e164

log = logging.getLogger(__name__)

TITLE = "Softphone CRM connector API"
# Numbers written without a country code are read as this region's.
LOOKUP_REGION = "US"
_LOCATIONS = ("body", "query", "path", "header", "cookie")
_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 409: "conflict",
          422: "invalid"}
_MAX_FIELDS, _MAX_PATH, _MAX_TEXT = 200, 200, 4000  # ErrorBody's bounds


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: these statuses answer with an ErrorBody."""
    return {status: {"model": schema.ErrorBody} for status in statuses}


_bearer = HTTPBearer(auto_error=False, description="An API token from `softphone crm token`")


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(_database)]


def _token_id(
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    """The calling token's id; 401 when the token is missing or unknown."""
    if credentials is not None:
        with db.read() as session:
            found = store.token_id(session, credentials.credentials)
        if found is not None:
            return found
    raise ApiError(401, "unauthorized", "a valid bearer token is needed")


def _idempotency_key(
    key: Annotated[str | None, Header(alias=schema.IDEMPOTENCY_HEADER,
                                      description="1-128 printable ASCII characters")] = None,
) -> str:
    return idempotency.check_key(key)


TokenId = Annotated[int, Depends(_token_id)]
IdempotencyKey = Annotated[str, Depends(_idempotency_key)]
RecentLimit = Annotated[int, Query(ge=1, le=schema.MAX_RECENT)]

public = APIRouter(prefix=schema.API_PREFIX)
api = APIRouter(prefix=schema.API_PREFIX, dependencies=[Depends(_token_id)],
                responses=_errors(401, 422))
_UNKNOWN = _errors(404)
_WRITE_ERRORS = _errors(400, 409)


@public.get("/health")
def health() -> schema.Health:
    return schema.Health(status="ok", api_version=schema.API_VERSION)


@api.get("/customers/lookup")
def lookup_customers(
    db: DatabaseDep, phone: Annotated[str, Query(max_length=64)]
) -> schema.CustomerList:
    e164 = to_e164(phone, LOOKUP_REGION)
    if e164 is None:
        raise invalid({"phone": "not a phone number"})
    with db.read() as session:
        return schema.CustomerList(customers=store.customers_with_phone(session, e164))


def _not_found(customer_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no customer with id {customer_id!r}")


@api.get("/customers/{customer_id}", responses=_UNKNOWN)
def get_customer(db: DatabaseDep, customer_id: str) -> schema.Customer:
    with db.read() as session:
        row = store.live_customer(session, customer_id)
        if row is None:
            raise _not_found(customer_id)
        return records.customer_model(row)


@api.get("/customers/{customer_id}/orders", responses=_UNKNOWN)
def customer_orders(db: DatabaseDep, customer_id: str, limit: RecentLimit = 20
                    ) -> schema.OrderList:
    with db.read() as session:
        if store.live_customer(session, customer_id) is None:
            raise _not_found(customer_id)
        return schema.OrderList(orders=store.recent_orders(session, customer_id, limit))


@api.get("/customers/{customer_id}/calls", responses=_UNKNOWN)
def customer_calls(db: DatabaseDep, customer_id: str, limit: RecentLimit = 20
                   ) -> schema.CallLogList:
    with db.read() as session:
        if store.live_customer(session, customer_id) is None:
            raise _not_found(customer_id)
        return schema.CallLogList(calls=store.recent_calls(session, customer_id, limit))


@api.get("/changes")
def changes(
    db: DatabaseDep,
    cursor: Annotated[str, Query(pattern=r"^[0-9]{1,18}$")] = "0",
    limit: Annotated[int, Query(ge=1, le=schema.MAX_PAGE_SIZE)] = 500,
) -> schema.ChangePage:
    with db.read() as session:
        return store.changes_after(session, int(cursor), limit)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks)."""
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _tagged(body: str | bytes, etag: str) -> Response:
    """A JSON answer with its ETag; clients must ask again before using a copy."""
    return Response(body, media_type="application/json",
                    headers={"ETag": etag, "Cache-Control": "no-cache"})


IfNoneMatch = Annotated[str | None, Header()]


@api.get("/products", response_model=schema.ProductCatalogue,
         responses={304: {"description": "Not modified"}})
def products(db: DatabaseDep, if_none_match: IfNoneMatch = None) -> Response:
    with db.read() as session:
        state = store.catalogue_state(session)
        etag = f'"products-{state.instance}-{state.products_version}"'
        if _matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return _tagged(store.product_catalogue(session).model_dump_json(), etag)


@api.get("/price-lists", response_model=schema.PriceLists,
         responses={304: {"description": "Not modified"}})
def price_lists(db: DatabaseDep, if_none_match: IfNoneMatch = None) -> Response:
    with db.read() as session:
        state = store.catalogue_state(session)
        etag = f'"prices-{state.instance}-{state.prices_version}"'
        if _matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return _tagged(store.price_lists(session).model_dump_json(), etag)


@api.get("/products/usual-for-type", response_model=schema.UsualForType,
         responses={304: {"description": "Not modified"}})
def usual_for_type(request: Request, db: DatabaseDep, if_none_match: IfNoneMatch = None
                   ) -> Response:
    """Per customer type, the SKUs most ordered by its customers lately (see ``usual``)."""
    answers: usual.UsualAnswers = request.app.state.usual
    answer = answers.current(db)
    if _matches(if_none_match, answer.etag):
        return Response(status_code=304, headers={"ETag": answer.etag})
    return _tagged(answer.body, answer.etag)


def _created(outcome: idempotency.Outcome) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(outcome.body, status_code=outcome.status, media_type="application/json",
                    headers=headers)


@api.post("/orders", status_code=201, response_model=schema.Order,
          responses=_WRITE_ERRORS)
def create_order(db: DatabaseDep, token_id: TokenId, key: IdempotencyKey,
                 order: schema.OrderCreate) -> Response:
    outcome = idempotency.perform_once(
        db, token_id, key, endpoint="orders", request=order,
        create=lambda session, now: store.place_order(session, order, now))
    return _created(outcome)


@api.post("/call-logs", status_code=201, response_model=schema.CallLog,
          responses=_WRITE_ERRORS)
def create_call_log(db: DatabaseDep, token_id: TokenId, key: IdempotencyKey,
                    call: schema.CallLogCreate) -> Response:
    outcome = idempotency.perform_once(
        db, token_id, key, endpoint="call-logs", request=call,
        create=lambda session, now: store.create_call_log(session, call, now))
    return _created(outcome)


@api.post("/customers/leads", status_code=201, response_model=schema.Customer,
          responses=_WRITE_ERRORS)
def create_lead(db: DatabaseDep, token_id: TokenId, key: IdempotencyKey,
                lead: schema.CustomerLead) -> Response:
    outcome = idempotency.perform_once(
        db, token_id, key, endpoint="customer-leads", request=lead,
        create=lambda session, now: store.create_lead(session, lead, now))
    return _created(outcome)


# ------------------------------------------------------------------------------ errors
def _error(status: int, code: str, message: str, fields: dict[str, str] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    # Within ErrorBody's bounds however many fields are wrong (an order has 500 lines).
    shown = dict(list((fields or {}).items())[:_MAX_FIELDS])
    body = schema.ErrorBody(
        code=code, message=_clip(message, _MAX_TEXT),
        fields={_clip(path, _MAX_PATH): _clip(text, _MAX_TEXT) for path, text in shown.items()})
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _field_path(location: tuple[Any, ...]) -> str:
    """``("body", "lines", 0, "sku")`` -> ``lines.0.sku``."""
    parts = location[1:] if location and location[0] in _LOCATIONS else location
    return ".".join(str(part) for part in parts) or "body"


def validation_fields(errors: Any) -> dict[str, str]:
    """Each wrong field's dotted path -> what is wrong with it."""
    fields: dict[str, str] = {}
    for error in errors:
        path = _field_path(tuple(error["loc"]))
        message = str(error["msg"])
        fields[path] = f"{fields[path]}; {message}" if path in fields else message
    return fields


def _install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as an ``ErrorBody``."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _error(exc.status, exc.code, exc.message, exc.fields, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError
                               ) -> JSONResponse:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            return _error(400, "bad_request", "the body is not valid JSON")
        fields = validation_fields(errors)
        return _error(422, "invalid", f"not valid: {', '.join(fields)}", fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "bad_request")
        headers = dict(exc.headers) if exc.headers else None
        return _error(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def server_error(_request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", exc_info=exc)
        return _error(500, "internal_error", "the server failed; see its log")


def create_app(db_url: str) -> FastAPI:
    """The API on the database at ``db_url``, brought to the newest schema first."""
    database = Database(db_url)
    database.upgrade()
    app = FastAPI(title=TITLE, version=str(schema.API_VERSION))
    app.state.database = database
    app.state.usual = usual.UsualAnswers()
    app.include_router(public)
    app.include_router(api)
    _install_error_handlers(app)
    return app
