"""The control channel of a running app: `softphone dial/answer/hangup/dtmf/transfer/status`
and "show".

One JSON object per line each way over a local socket that only the user can open
(a Unix socket in a private directory; a named pipe on Windows). The client side here
is plain Python so command-line calls start fast; the server lives in the GUI
(``softphone.gui.ipc``) and hands requests to ``handle_request``. Imports no Qt.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.errors import UserFacingError
from softphone.paths import Profile

MAX_REQUEST_BYTES = 64 * 1024
COMMANDS = ("status", "dial", "answer", "hangup", "dtmf", "transfer", "show",
            "reload-settings")


class NotRunning(Exception):
    """No app is running for this profile."""


def server_name(profile: Profile) -> str:
    """Where the running app listens: a socket path, or a pipe name on Windows."""
    if sys.platform == "win32":
        return profile.instance_name
    base = Path(tempfile.gettempdir()) / f"softphone-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    return str(base / f"{profile.instance_name}.sock")


def send_request(profile: Profile, request: dict[str, Any], timeout: float = 10.0) -> Any:
    """Send one request to the running app and return its answer's ``result``."""
    payload = json.dumps(request).encode() + b"\n"
    if sys.platform == "win32":
        reply = _pipe_exchange(server_name(profile), payload)
    else:
        reply = _socket_exchange(server_name(profile), payload, timeout)
    try:
        answer = json.loads(reply)
    except json.JSONDecodeError:
        raise NotRunning("the running app sent an unreadable answer") from None
    if not answer.get("ok"):
        raise UserFacingError(str(answer.get("error", "the app refused the request")))
    return answer.get("result")


def _socket_exchange(path: str, payload: bytes, timeout: float) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            raise NotRunning("Softphone is not running for this profile") from None
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                break
        return b"".join(chunks)


def _pipe_exchange(name: str, payload: bytes) -> bytes:
    try:
        with open(rf"\\.\pipe\{name}", "r+b", buffering=0) as pipe:
            pipe.write(payload)
            return pipe.readline()
    except FileNotFoundError:
        raise NotRunning("Softphone is not running for this profile") from None


def handle_request(
    raw: bytes,
    phone: Any,
    show_window: Callable[[], None],
    reload_settings: Callable[[], None],
    status: Callable[[], dict[str, Any]] | None = None,
) -> bytes:
    """Answer one request line. Runs on the GUI thread (called by the control server).

    ``status`` gives the whole app's state (default: the phone's alone).
    """
    try:
        request = _parse_request(raw)
        if request["command"] == "status" and status is not None:
            result = status()
        else:
            result = _dispatch(request, phone, show_window, reload_settings)
        answer: dict[str, Any] = {"ok": True, "result": result}
    except UserFacingError as exc:
        answer = {"ok": False, "error": str(exc)}
    return json.dumps(answer).encode() + b"\n"


def _parse_request(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_REQUEST_BYTES:
        raise UserFacingError("request too long")
    try:
        request = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserFacingError("request is not JSON") from None
    if not isinstance(request, dict) or request.get("command") not in COMMANDS:
        raise UserFacingError(f"unknown request; expected one of {', '.join(COMMANDS)}")
    return request


def _dispatch(
    request: dict[str, Any],
    phone: Any,
    show_window: Callable[[], None],
    reload_settings: Callable[[], None],
) -> Any:
    command = request["command"]
    if command == "status":
        return phone.status()
    if command == "show":
        show_window()
        return None
    if command == "reload-settings":
        reload_settings()
        return None
    if command == "dial":
        target = request.get("target")
        if not isinstance(target, str):
            raise UserFacingError("dial needs a target")
        return {"call_id": phone.dial(target)}
    call_id = request.get("call_id")
    if call_id is not None and not isinstance(call_id, str):
        raise UserFacingError("call_id must be text")
    if command in ("dtmf", "transfer"):
        return _in_call(command, request, phone, call_id)
    done = phone.answer(call_id) if command == "answer" else phone.hangup(call_id)
    if done is None:
        action = "answer" if command == "answer" else "hang up"
        raise UserFacingError(f"there is no call to {action}")
    return {"call_id": done}


def _in_call(command: str, request: dict[str, Any], phone: Any, call_id: str | None) -> None:
    """Send tones on, or blind-transfer, ``call_id`` (default: the current call)."""
    field = "digits" if command == "dtmf" else "target"
    value = request.get(field)
    if not isinstance(value, str) or not value:
        raise UserFacingError(f"{command} needs {field}")
    if not phone.status()["calls"]:
        raise UserFacingError("there is no call")
    if command == "dtmf":
        phone.send_dtmf(value, call_id)
    else:
        phone.transfer(value, call_id)
