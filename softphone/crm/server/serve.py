"""``softphone crm serve``: the API under uvicorn, one process, on the command's main thread.

uvicorn runs its event loop on this thread; the route functions run on its worker threads.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys

import uvicorn

from softphone.crm.server.api import create_app
from softphone.errors import UserFacingError


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


def serve(db_url: str, host: str, port: int, tls_cert: str | None, tls_key: str | None
          ) -> int:
    """Serve the API until SIGTERM or SIGINT, then shut down gracefully; returns 0."""
    if (tls_cert is None) != (tls_key is None):
        raise UserFacingError("--tls-cert and --tls-key go together")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(db_url)
    config = uvicorn.Config(app, host=host, port=port, workers=1,
                            ssl_certfile=tls_cert, ssl_keyfile=tls_key,
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
