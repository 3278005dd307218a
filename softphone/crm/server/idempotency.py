"""Writes that happen once per ``Idempotency-Key``, however often the client retries.

Runs on the server's request worker threads. Imports no Qt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from softphone.crm.server.database import Database
from softphone.crm.server.errors import ApiError
from softphone.crm.server.models import IdempotencyRecord
from softphone.crm.server.store import sha256_hex

KEY_PATTERN = re.compile(r"^[\x20-\x7e]{1,128}$")  # printable ASCII


@dataclass(frozen=True)
class Outcome:
    status: int
    body: str  # JSON text
    replayed: bool


def check_key(key: str | None) -> str:
    """``key`` when it is a valid Idempotency-Key header value, else a 400."""
    if key is None:
        raise ApiError(400, "bad_request", "writes need an Idempotency-Key header")
    if not KEY_PATTERN.match(key):
        raise ApiError(400, "bad_request",
                       "the Idempotency-Key must be 1-128 printable ASCII characters")
    return key


def request_digest(request: BaseModel) -> str:
    """sha256 of the request as parsed, so spacing and key order do not matter."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(canonical)


def _stored(session: Session, token_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key))


def _replay(record: IdempotencyRecord, endpoint: str, digest: str) -> Outcome:
    if record.endpoint != endpoint or record.request_sha256 != digest:
        raise ApiError(409, "conflict",
                       "this Idempotency-Key was already used for a different request")
    return Outcome(record.status_code, record.response, replayed=True)


def perform_once(db: Database, token_id: int, key: str, *, endpoint: str, request: BaseModel,
                 create: Callable[[Session, datetime], BaseModel]) -> Outcome:
    """Run ``create`` unless this token already sent ``key``; then answer as the first time.

    The created rows and the idempotency record commit in one transaction: after a crash
    either both exist or neither does.
    """
    digest = request_digest(request)
    try:
        with db.write() as session:
            record = _stored(session, token_id, key)
            if record is not None:
                return _replay(record, endpoint, digest)
            now = datetime.now(UTC)
            body = create(session, now).model_dump_json()
            session.add(IdempotencyRecord(
                token_id=token_id, key=key, endpoint=endpoint, request_sha256=digest,
                status_code=201, response=body, created_at=now))
            session.flush()
    except IntegrityError:
        # A concurrent twin with the same key committed first (the unique (token, key)
        # constraint refused ours, and our rows rolled back with it): answer with its result.
        with db.read() as session:
            record = _stored(session, token_id, key)
            if record is None:
                raise
            return _replay(record, endpoint, digest)
    return Outcome(201, body, replayed=False)
