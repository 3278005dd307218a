"""``softphone crm serve|import|token``: run on the command's main thread."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from sqlalchemy.exc import OperationalError

from softphone.crm.server import importer, store
from softphone.crm.server.api import create_app
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
    path = Path(args.file)
    with _database(args.db) as database:
        summary = importer.import_file(database, path, args.region)
    print(summary.describe())
    return 0


class _Server(uvicorn.Server):
    """uvicorn that says where it listens once the socket is bound."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            scheme = "https" if self.config.is_ssl else "http"
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(f"CRM server listening on {scheme}://{host}:{port}", flush=True)


def _ignore(_signum: int, _frame: object) -> None:
    """Main thread: a stop signal seen again after uvicorn already shut down gracefully."""


def _serve(args: argparse.Namespace) -> int:
    if (args.tls_cert is None) != (args.tls_key is None):
        raise UserFacingError("--tls-cert and --tls-key go together")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(args.db)
    config = uvicorn.Config(app, host=args.host, port=args.port, workers=1,
                            ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
                            log_config=None, server_header=False)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again with
    # the handler it found; with this one the process then ends normally (status 0).
    signal.signal(signal.SIGTERM, _ignore)
    signal.signal(signal.SIGINT, _ignore)
    try:
        _Server(config).run()
    finally:
        app.state.database.close()
    return 0
