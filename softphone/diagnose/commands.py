"""``softphone diagnose [--json]`` and ``softphone support-bundle [--output FILE]``.

Run on the main thread of a short-lived process. Exit status of ``diagnose``: 0 when no
check failed (warnings allowed), 1 when one did. Imports no Qt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from softphone.diagnose import (
    CheckResult,
    can_print_symbols,
    exit_status,
    format_report,
    report_json,
)
from softphone.diagnose.checks import Environment, run_all
from softphone.paths import Profile
from softphone.settings import open_settings


def run(args: argparse.Namespace, profile: Profile) -> int:
    if args.command == "diagnose":
        return diagnose(profile, as_json=args.json)
    return support_bundle(profile, args.output)


def diagnose(profile: Profile, as_json: bool) -> int:
    env = Environment(profile, open_settings(profile))
    ascii_only = not can_print_symbols()

    def show(result: CheckResult) -> None:
        if not as_json and sys.stderr.isatty():
            print(f"  ... {result.title} done", file=sys.stderr)

    results = run_all(env, show)
    print(report_json(results) if as_json else format_report(results, ascii_only), end="")
    if as_json:
        print()
    return exit_status(results)


def support_bundle(profile: Profile, output: str | None) -> int:
    from softphone.support_bundle import create_bundle

    print("Running the pre-shift check for the bundle (up to 30 seconds)...", file=sys.stderr)
    bundle = create_bundle(profile, Path(output) if output else None)
    print(f"Support bundle saved to {bundle.path.resolve()}")
    for note in bundle.notes:
        print(f"Note: {note}", file=sys.stderr)
    return 0
