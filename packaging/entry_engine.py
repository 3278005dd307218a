"""Entry point of the frozen ``softphone-engine`` program: the phone engine process.

The same as ``python -m softphone.engine [--log-file PATH] [--log-level LEVEL]``; the
app's supervisor starts it with the typed protocol on its standard input and output.
"""

import sys

from softphone.engine.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
