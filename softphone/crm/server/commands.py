"""``softphone crm ...``: run on the command's main thread."""

from __future__ import annotations

import argparse

from softphone.errors import UserFacingError


def run(args: argparse.Namespace) -> int:
    raise UserFacingError(f"crm {args.crm_command} is not available yet")
