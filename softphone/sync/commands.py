"""``softphone sync``, ``customers`` and ``data``: run on the command's main thread."""

from __future__ import annotations

import argparse

from softphone.errors import UserFacingError
from softphone.paths import Profile


def run(args: argparse.Namespace, profile: Profile) -> int:
    raise UserFacingError(f"{args.command} is not available yet ({profile.data_dir})")
