"""``softphone crm serve|import|token``: run on the command's main thread."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from softphone.crm.server import importer, store
from softphone.crm.server.database import Database, database_url
from softphone.errors import UserFacingError


def run(args: argparse.Namespace) -> int:
    try:
        if args.crm_command == "serve":
            return _serve(args)
        if args.crm_command == "import":
            return _import(args)
        if args.crm_command == "token":
            return _token(args)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise UserFacingError(f"--db needs a database URL such as sqlite:///crm.sqlite3 "
                              f"or postgresql+psycopg://USER@HOST/DB ({exc})") from None
    except OperationalError as exc:
        shown = database_url(args.db).render_as_string(hide_password=True)
        raise UserFacingError(f"cannot use the database {shown}: {exc.orig}") from None
    raise UserFacingError(f"unknown crm command {args.crm_command}")


@contextmanager
def _database(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        database.upgrade()
        yield database
    finally:
        database.close()


def _token(args: argparse.Namespace) -> int:
    with _database(args.db) as database, database.write() as session:
        token = store.create_token(session, args.name, datetime.now(UTC))
    print(token)
    print(f"Token for {args.name!r} created. It is shown only now; keep it safe.",
          file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    # The whole file is checked before the database is even opened.
    data = importer.read_file(Path(args.file), args.region, now)
    with _database(args.db) as database:
        summary = importer.apply(database, data, now)
    print(summary.describe())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from softphone.crm.server import serve  # FastAPI and uvicorn only when serving

    return serve.serve(args.db, args.host, args.port, args.tls_cert, args.tls_key)
