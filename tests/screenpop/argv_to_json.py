"""A stand-in screen-pop command: writes its arguments (after the output path) as JSON."""

import json
import sys
from pathlib import Path

if __name__ == "__main__":
    target = Path(sys.argv[1])
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(sys.argv[2:], ensure_ascii=False), encoding="utf-8")
    partial.replace(target)  # the test never reads half a file
