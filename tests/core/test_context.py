"""The SIP password with and without a working keyring, through the app's context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from softphone.context import AppContext
from softphone.paths import Profile


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The keyring library with no backend, as on a desktop without a secret service."""
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


class Prompt:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.reasons: list[str] = []

    def __call__(self, reason: str) -> str | None:
        self.reasons.append(reason)
        return self.answer


def start(profile_dir: Path, prompt: Prompt) -> AppContext:
    return AppContext.create(Profile.from_dir(profile_dir), prompt)


def test_without_a_keyring_the_password_is_asked_at_each_start_and_never_saved(
    tmp_path: Path, no_keyring: None
) -> None:
    prompt = Prompt("secret-typed-by-agent")
    context = start(tmp_path, prompt)
    try:
        assert not context.keyring_available
        assert context.sip_password() == "secret-typed-by-agent"
        assert context.sip_password() == "secret-typed-by-agent"  # once per start
        assert len(prompt.reasons) == 1
        assert "cannot be remembered" in prompt.reasons[0]
    finally:
        context.close()
    again = start(tmp_path, prompt)
    try:
        assert again.sip_password() == "secret-typed-by-agent"
        assert len(prompt.reasons) == 2  # asked again at the next start
    finally:
        again.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"secret-typed-by-agent" not in path.read_bytes(), path


def test_with_a_keyring_the_typed_password_is_kept_there(tmp_path: Path) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password("softphone", "sip")
    prompt = Prompt("kept-in-keyring")
    context = start(tmp_path, prompt)
    try:
        assert context.keyring_available
        assert context.sip_password() == "kept-in-keyring"
        assert keyring.get_password("softphone", "sip") == "kept-in-keyring"
    finally:
        context.close()
        keyring.delete_password("softphone", "sip")
    later = start(tmp_path, Prompt(None))
    try:
        assert later.sip_password() is None  # nothing stored, agent cancelled
    finally:
        later.close()


def test_cancelled_prompt_gives_no_password(tmp_path: Path, no_keyring: None) -> None:
    context = start(tmp_path, Prompt(None))
    try:
        assert context.sip_password() is None
    finally:
        context.close()
