"""Entry point of the frozen ``softphone`` (windowed) and ``softphone-cli`` (console) programs.

Both run the ``softphone`` command: no argument starts the app, a command acts on the
running one (``softphone-cli status --json``). Frozen builds only; from a checkout the
same thing is ``python -m softphone``.
"""

import sys

from softphone.cli import main

if __name__ == "__main__":
    sys.exit(main())
