"""``python -m softphone`` is the ``softphone`` command."""

import sys

from softphone.cli import main

sys.exit(main())
