"""The ``softphone`` command: starts the app, or acts on the running one.

Runs on the main thread of a short-lived process, except ``softphone`` (no command),
which becomes the GUI. Only the GUI path imports Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from softphone import __version__, control, provisioning
from softphone.errors import UserFacingError
from softphone.paths import Profile
from softphone.secrets import CRM_TOKEN, SIP_ACCOUNT, SecretStore
from softphone.settings import SCHEMA, Settings, open_settings, setting
from softphone.targets import LINK_SCHEMES

SECRET_NAMES = {"sip": SIP_ACCOUNT, "crm": CRM_TOKEN}
#: Libraries that log what they were asked at the info level: httpx writes each request's
#: URL, and the screen-pop's lookup has the caller's number in its query. Only their
#: warnings reach the log.
QUIET_LOGGERS = ("httpx",)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="softphone", description="Softphone for call centres.")
    parser.add_argument("--profile", metavar="DIR",
                        help="keep configuration, data and logs in DIR")
    parser.add_argument("--version", action="version", version=f"softphone {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("gui", help="start the app (the default)")
    dial = commands.add_parser("dial", help="call a number or SIP address in the running app")
    dial.add_argument("target")
    dial.add_argument("--start", action="store_true",
                      help="start the app first when it is not running")
    for name, text in (("answer", "answer the ringing call"), ("hangup", "end the current call")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--call", dest="call_id", help="the call's id (see status)")
    dtmf = commands.add_parser("dtmf", help="send touch tones (0-9, *, #) on the current call")
    dtmf.add_argument("digits")
    transfer = commands.add_parser("transfer", help="hand the current call over to a number")
    transfer.add_argument("target")
    for sub in (dtmf, transfer):
        sub.add_argument("--call", dest="call_id", help="the call's id (see status)")
    status = commands.add_parser("status", help="show registration, engine and calls")
    status.add_argument("--json", action="store_true")
    history = commands.add_parser("history", help="show the call history")
    history.add_argument("--json", action="store_true")
    history.add_argument("--limit", type=int, default=50)

    config = commands.add_parser("config", help="read and change settings")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_set = config_commands.add_parser("set", help="change a setting")
    config_set.add_argument("key")
    config_set.add_argument("value")
    config_get = config_commands.add_parser("get", help="print a setting")
    config_get.add_argument("key")
    config_reset = config_commands.add_parser("reset", help="return a setting to its default")
    config_reset.add_argument("key")
    config_list = config_commands.add_parser("list", help="list every setting")
    config_list.add_argument("--json", action="store_true")
    config_commands.add_parser("provision", help="fetch IT's settings from "
                                                 "provisioning.url now")

    credentials = commands.add_parser("credentials", help="store secrets in the OS keyring")
    cred_commands = credentials.add_subparsers(dest="cred_command", metavar="ACTION",
                                               required=True)
    cred_set = cred_commands.add_parser("set", help="read a secret from standard input")
    cred_set.add_argument("name", choices=sorted(SECRET_NAMES))
    cred_delete = cred_commands.add_parser("delete", help="remove a secret")
    cred_delete.add_argument("name", choices=sorted(SECRET_NAMES))

    _add_data_commands(commands)
    _add_crm_commands(commands)
    _add_support_commands(commands)
    commands.add_parser("engine", help=argparse.SUPPRESS)
    return parser


def _add_data_commands(commands: Any) -> None:
    """Commands on the local customer cache and the sync with the CRM."""
    sync = commands.add_parser("sync", help="fetch changes from the CRM and send queued records")
    sync.add_argument("--once", action="store_true", required=True,
                      help="run one sync, print a summary and exit")
    sync.add_argument("--json", action="store_true")
    customers = commands.add_parser("customers", help="look customers up in the local cache")
    customer_commands = customers.add_subparsers(dest="customers_command", metavar="ACTION",
                                                 required=True)
    find = customer_commands.add_parser("find", help="customers having a phone number")
    find.add_argument("phone")
    find.add_argument("--json", action="store_true")
    data = commands.add_parser("data", help="manage customer data kept on this computer")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    wipe = data_commands.add_parser("wipe",
                                    help="remove all local customer data and queued records")
    wipe.add_argument("--force", action="store_true",
                      help="also when records are still waiting to be sent")


def _add_crm_commands(commands: Any) -> None:
    """The reference CRM server's commands (need the ``server`` extra)."""
    crm = commands.add_parser("crm", help="run the reference CRM server")
    crm_commands = crm.add_subparsers(dest="crm_command", metavar="ACTION", required=True)
    default_db = "sqlite:///crm.sqlite3"
    serve = crm_commands.add_parser("serve", help="serve the CRM API over HTTP")
    serve.add_argument("--db", default=default_db, help="SQLAlchemy database URL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", help="the certificate's private key (PEM)")
    import_ = crm_commands.add_parser("import", help="load customers, products and prices")
    import_.add_argument("file", help="a JSON file, or a CSV file of customers")
    import_.add_argument("--db", default=default_db, help="SQLAlchemy database URL")
    import_.add_argument("--region", default="US",
                         help="country (ISO 3166 code) of phone numbers written without one")
    token = crm_commands.add_parser("token", help="create an API token and print it")
    token.add_argument("name", help="who the token is for")
    token.add_argument("--db", default=default_db, help="SQLAlchemy database URL")


def _add_support_commands(commands: Any) -> None:
    """The pre-shift check and the support bundle (``softphone.diagnose``)."""
    diagnose = commands.add_parser(
        "diagnose", help="check settings, keyring, audio, SIP server, CRM and disk",
        description="Pre-shift check. Exit status 0 when nothing failed (warnings "
                    "allowed), 1 when a check failed.")
    diagnose.add_argument("--json", action="store_true")
    bundle = commands.add_parser("support-bundle",
                                 help="zip logs, settings and a check report for IT")
    bundle.add_argument("--output", metavar="FILE", help="where to write the zip")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["engine"]:
        from softphone.engine.__main__ import main as engine_main

        return engine_main(argv[1:])
    args = build_parser().parse_args(_link_as_dial(argv))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    profile = Profile.resolve(args.profile)
    try:
        return _run(args, profile)
    except UserFacingError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return 2
    except control.NotRunning as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return 3


def _run(args: argparse.Namespace, profile: Profile) -> int:
    command = args.command or "gui"
    if command == "gui":
        return _start_gui(profile)
    if command == "dial":
        if args.start:
            _ensure_running(profile, args.profile)
        _print_result(control.send_request(profile, {"command": "dial", "target": args.target}))
        return 0
    if command in ("answer", "hangup"):
        request = {"command": command, "call_id": args.call_id}
        _print_result(control.send_request(profile, request))
        return 0
    if command in ("dtmf", "transfer"):
        field = "digits" if command == "dtmf" else "target"
        control.send_request(profile, {"command": command, field: getattr(args, field),
                                       "call_id": args.call_id})
        return 0
    if command == "status":
        return _status(profile, args.json)
    if command == "history":
        return _history(profile, args.limit, args.json)
    if command == "config":
        return _config(args, profile)
    if command == "credentials":
        return _credentials(args)
    if command in ("sync", "customers", "data"):
        from softphone.sync import commands as data_commands

        return data_commands.run(args, profile)
    if command == "crm":
        return _crm(args)
    if command in ("diagnose", "support-bundle"):
        from softphone.diagnose import commands as support_commands

        return support_commands.run(args, profile)
    raise UserFacingError(f"unknown command {command}")


def _crm(args: argparse.Namespace) -> int:
    try:
        from softphone.crm.server import commands as server_commands
    except ImportError as exc:
        raise UserFacingError(
            f"the CRM server needs its extra packages: pip install 'softphone[server]' ({exc})"
        ) from None
    return server_commands.run(args)


def _start_gui(profile: Profile) -> int:
    try:
        control.send_request(profile, {"command": "show"}, timeout=3.0)
    except control.NotRunning:
        pass
    else:
        return 0  # the running app came forward
    from softphone.gui.application import run_gui

    return run_gui(profile)


def _link_as_dial(argv: list[str]) -> list[str]:
    """``softphone [--profile DIR] LINK`` (how a tel: or sip: link is opened) is
    ``softphone [--profile DIR] dial --start LINK``."""
    plain = len(argv) == 1 or (len(argv) == 3 and argv[0] == "--profile")
    if plain and argv[-1].lower().startswith(LINK_SCHEMES):
        return [*argv[:-1], "dial", "--start", argv[-1]]
    return argv


def _ensure_running(profile: Profile, profile_dir: str | None, timeout: float = 30.0) -> None:
    """Start the app in the background unless it runs; wait (bounded) until it answers
    and its registration has settled, so that a call can be placed."""
    try:
        control.send_request(profile, {"command": "status"}, timeout=3.0)
        return
    except control.NotRunning:
        pass
    command = [*_app_command(), *(["--profile", profile_dir] if profile_dir else [])]
    options: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                               "stderr": subprocess.DEVNULL}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.DETACHED_PROCESS
    else:
        options["start_new_session"] = True
    subprocess.Popen(command, **options)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = control.send_request(profile, {"command": "status"}, timeout=3.0)
        except control.NotRunning:
            status = None
        if status is not None and status["registration"]["state"] in ("registered", "failed"):
            return
        time.sleep(0.25)


def _app_command() -> list[str]:
    """How to start the app: the windowed program beside this one in a frozen build."""
    if getattr(sys, "frozen", False):
        app = Path(sys.executable).with_name(
            "softphone.exe" if sys.platform == "win32" else "softphone")
        return [str(app if app.exists() else sys.executable)]
    return [sys.executable, "-m", "softphone"]


def _print_result(result: Any) -> None:
    if result is not None:
        print(json.dumps(result))


def _status(profile: Profile, as_json: bool) -> int:
    status = control.send_request(profile, {"command": "status"})
    if as_json:
        print(json.dumps(status, indent=2))
        return 0
    registration = status["registration"]
    print(f"Registration: {registration['state']} {registration['reason']}".rstrip())
    engine = status["engine"]
    print(f"Engine: pid {engine['pid']}, {'running' if engine['alive'] else 'not running'}")
    audio = status["audio"]
    print(f"Audio: microphone {audio['microphone'] or '-'}, speaker {audio['speaker'] or '-'}, "
          f"ringer {audio['ringer'] or '-'}")
    for call in status["calls"]:
        remote = call["remote"]
        print(f"Call {call['id']}: {call['direction']} {call['state']} "
              f"{remote['display_name']} <{remote['number'] or remote['uri']}>")
    return 0


def _history(profile: Profile, limit: int, as_json: bool) -> int:
    from softphone.cache.files import load_key
    from softphone.cache.store import CacheStore
    from softphone.storage.history import CallHistory

    if not profile.cache_file.exists():
        entries = []
    else:
        secrets = SecretStore()
        cache = CacheStore(profile.cache_file, lambda: load_key(secrets))
        try:
            cache.ready()
            if cache.disposable:
                raise UserFacingError("the call history cannot be read without the keyring")
            entries = CallHistory(cache).recent(max(1, min(limit, 10000)))
        finally:
            cache.close()
    if as_json:
        print(json.dumps([entry.as_json() for entry in entries], indent=2))
        return 0
    for entry in entries:
        started = datetime.fromtimestamp(entry.started_at).strftime("%Y-%m-%d %H:%M")
        who = entry.display_name or entry.number or entry.uri
        print(f"{started}  {entry.direction:8}  {entry.outcome:9}  "
              f"{entry.duration_seconds:6.0f}s  {who}")
    return 0


def _config(args: argparse.Namespace, profile: Profile) -> int:
    settings = open_settings(profile)
    action = args.config_command
    if action == "list":
        return _config_list(settings, args.json)
    if action == "provision":
        result = provisioning.refresh(settings)
        print(result.message, file=sys.stdout if result.ok else sys.stderr)
        if result.ok:
            _tell_running_app(profile)
        return 0 if result.ok else 1
    spec = setting(args.key)
    if action == "get":
        value = settings[spec.name]
        print(json.dumps(value) if isinstance(value, bool) else value)
        return 0
    if action == "set":
        settings.set(spec.name, spec.parse(args.value))
    else:
        settings.reset(spec.name)
    _tell_running_app(profile)
    return 0


def _config_list(settings: Settings, as_json: bool) -> int:
    rows = [
        {"name": spec.name, "value": settings[spec.name], "default": spec.default,
         "source": settings.source(spec.name), "locked": settings.locked(spec.name),
         "description": spec.description}
        for spec in SCHEMA
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        where = f"{row['source']}, locked" if row["locked"] else row["source"]
        print(f"{row['name']} = {json.dumps(row['value'])}  [{where}]  {row['description']}")
    return 0


def _tell_running_app(profile: Profile) -> None:
    with contextlib.suppress(control.NotRunning):
        control.send_request(profile, {"command": "reload-settings"}, timeout=3.0)


def _credentials(args: argparse.Namespace) -> int:
    store = SecretStore()
    name = SECRET_NAMES[args.name]
    if args.cred_command == "delete":
        store.delete(name)
        return 0
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise UserFacingError("no secret on standard input")
    if not store.set(name, secret):
        raise UserFacingError(
            "no working keyring: the secret was not saved (it is never written to a file)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
