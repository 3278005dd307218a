"""``softphone sync``, ``customers`` and ``data``: run on the command's main thread."""

from __future__ import annotations

import argparse
import json
import sys

from softphone import control
from softphone.cache.files import delete_cache_files
from softphone.crm.client import CrmAuthFailed, CrmBadResponse, CrmUnavailable
from softphone.errors import UserFacingError
from softphone.numbers import to_e164
from softphone.paths import Profile
from softphone.secrets import CACHE_KEY, SecretStore
from softphone.settings import Settings, open_settings
from softphone.sync.runner import SyncSummary
from softphone.sync.service import SyncService


def run(args: argparse.Namespace, profile: Profile) -> int:
    if args.command == "data":
        return _wipe(profile, force=args.force)
    settings = open_settings(profile)
    service = SyncService(profile, settings, SecretStore())
    try:
        if args.command == "sync":
            return _sync_once(service, args.json)
        return _find(service, settings, args.phone, args.json)
    finally:
        service.stop()


def _sync_once(service: SyncService, as_json: bool) -> int:
    try:
        summary = service.run_once()
    except CrmUnavailable as exc:
        raise UserFacingError(f"the CRM is unreachable: {exc}") from None
    except CrmAuthFailed as exc:
        raise UserFacingError(str(exc)) from None
    except CrmBadResponse as exc:
        raise UserFacingError(str(exc)) from None
    if as_json:
        print(json.dumps(summary.as_json(), indent=2))
    else:
        print(_describe(summary))
    return 0


def _describe(summary: SyncSummary) -> str:
    products = "unchanged" if summary.products is None else str(summary.products)
    prices = "updated" if summary.price_lists_updated else "unchanged"
    usual = "updated" if summary.usual_for_type_updated else "unchanged"
    return "\n".join([
        f"Customers: {summary.customers_changed} changed, {summary.customers_deleted} deleted, "
        f"{summary.customers_purged} purged{' (full download)' if summary.full_walk else ''}",
        f"Products: {products}; price lists {prices}; usual per customer type {usual}",
        f"Outbox: {summary.outbox_sent} sent, {summary.outbox_failed} need attention, "
        f"{summary.outbox_pruned} sent long ago removed",
        f"Cursor: {summary.cursor}",
    ])


def _find(service: SyncService, settings: Settings, phone: str, as_json: bool) -> int:
    if to_e164(phone, str(settings["calls.default_region"])) is None:
        raise UserFacingError(f"{phone!r} is not a phone number")
    customers = service.find_customers(phone).result()
    if as_json:
        print(json.dumps([c.model_dump(mode="json") for c in customers], indent=2,
                         ensure_ascii=False))
        return 0
    if not customers:
        print("No customer in the local cache has this number.", file=sys.stderr)
        return 1
    for customer in customers:
        company = f" ({customer.company})" if customer.company else ""
        print(f"{customer.id}  {customer.name}{company}  {customer.type.value}  "
              f"{', '.join(customer.phones)}")
    return 0


def _wipe(profile: Profile, force: bool) -> int:
    """Delete the cache file with its WAL/SHM and the key: what is left cannot be read.

    Refused while the app runs on this profile (it has the file open and would write
    into a deleted file), and, without ``force``, while records wait to be sent.
    """
    if _app_running(profile):
        raise UserFacingError("Softphone is running with this profile; quit it first")
    if not force:
        waiting = _unsent_records(profile)
        if waiting:
            raise UserFacingError(
                f"{waiting} record(s) have not reached the CRM yet and would be lost; "
                "run `softphone sync --once` first, or wipe anyway with --force")
    removed = delete_cache_files(profile.cache_file)
    SecretStore().delete(CACHE_KEY)
    print(f"Removed local customer data ({removed} file{'s' if removed != 1 else ''}).")
    return 0


def _app_running(profile: Profile) -> bool:
    try:
        control.send_request(profile, {"command": "status"}, timeout=3.0)
    except (control.NotRunning, OSError):
        return False
    return True


def _unsent_records(profile: Profile) -> int:
    """Queued and refused outbox records; 0 when the cache is missing or unreadable."""
    if not profile.cache_file.exists():
        return 0
    secrets = SecretStore()
    if secrets.get(CACHE_KEY) is None:
        return 0  # without its key nothing in the file can be read or sent
    settings = open_settings(profile)
    service = SyncService(profile, settings, secrets)
    try:
        counts = service.cache.counts().result(timeout=30)
    except Exception as exc:
        # Records in a file this run cannot read could not be sent either.
        print(f"softphone: could not read the outbox ({exc})", file=sys.stderr)
        return 0
    finally:
        service.stop()
    return counts.outbox_waiting + counts.outbox_needs_attention
