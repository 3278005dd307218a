"""Entry point: ``python -m softphone.engine [--log-file PATH] [--log-level LEVEL]``.

Runs on the main thread, which becomes the pjsua thread. Before anything else it saves
the original stdout for the protocol and points fd 1 at stderr, so stray native prints
from pjsip can never corrupt the protocol channel.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys


def protect_stdout() -> int:
    """Duplicate fd 1 for protocol output, then make fd 1 a copy of stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    return protocol_fd


def setup_logging(log_file: str | None, level: str) -> None:
    handler: logging.Handler
    if log_file:
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m softphone.engine")
    parser.add_argument("--log-file", help="write the log here (rotated)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    args = parser.parse_args(argv)
    protocol_fd = protect_stdout()
    setup_logging(args.log_file, args.log_level)

    # Imported only now, so that anything native printed while loading goes to stderr.
    from softphone.engine.channel import CommandReader, EventWriter
    from softphone.engine.loop import EngineLoop

    writer = EventWriter(protocol_fd)
    reader = CommandReader(sys.stdin.fileno())
    writer.start()
    reader.start()
    code = EngineLoop(reader, writer).run()
    writer.close()
    logging.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
