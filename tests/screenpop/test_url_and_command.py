"""The screen-pop's URL template (each value URL-encoded) and external command (each value
its own argument, no shell), with the awkward text callers' names bring."""

from __future__ import annotations

import json
import re
import shlex
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from softphone.crm.schema import Change, Customer
from softphone.screenpop import (
    CommandError,
    ScreenPopService,
    TemplateError,
    expand_url,
    run_command,
)
from softphone.secrets import SecretStore
from softphone.sync.service import SyncService
from tests.peers.net import wait_until
from tests.sync.helpers import profile_for

SCRIPT = Path(__file__).with_name("argv_to_json.py")
# Characters that break naive URL building or shell quoting, and right-to-left text.
NAME = 'Parisa & "Co" #2 $(id) ; پریسا احمدی'
VALUES = {"number": "0720 000 001", "e164": "+40720000001", "customer_id": "c/1 x",
          "display_name": NAME}


def test_each_placeholder_is_url_encoded() -> None:
    url = expand_url("https://crm.example.com/pop?n={number}&e={e164}&id={customer_id}"
                     "&name={display_name}#{{card}}", VALUES)
    assert url.startswith("https://crm.example.com/pop?n=0720%20000%20001&e=%2B40720000001"
                          "&id=c%2F1%20x&name=Parisa%20%26%20%22Co%22%20%232")
    assert url.endswith("#{card}")
    query = parse_qs(urlsplit(url).query)
    assert {key: values[0] for key, values in query.items()} == {
        "n": VALUES["number"], "e": VALUES["e164"], "id": VALUES["customer_id"], "name": NAME}
    assert expand_url("https://crm.example.com/c/{customer_id}", {}) == (
        "https://crm.example.com/c/")


@pytest.mark.parametrize(("template", "words"), [
    ("https://crm.example.com/?q={phone}", "unknown placeholder {phone}"),
    ("https://crm.example.com/?q={}", "unknown placeholder {}"),
    ("https://crm.example.com/?q={number!r}", "unknown placeholder {number!r}"),
    ("https://crm.example.com/?q={number:>20}", "unknown placeholder {number:>20}"),
    ("https://crm.example.com/?q={number", "not valid"),
    ("javascript:alert({number})", "must start with http:// or https://"),
])
def test_unusable_templates_are_refused_in_plain_words(template: str, words: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(words)) as refused:
        expand_url(template, VALUES)
    if "placeholder" in words:
        assert "{number}, {e164}, {customer_id}, {display_name}" in str(refused.value)


def _argv_written(tmp_path: Path, command: str) -> list[str]:
    out = tmp_path / "argv.json"
    wait_until(out.exists, timeout=10, message=f"{command} wrote nothing")
    written: list[str] = json.loads(out.read_text(encoding="utf-8"))
    return written


def test_run_command_passes_each_value_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "argv.json"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} {shlex.quote(str(out))}"
    process = run_command(command, VALUES)
    assert process.wait(10) == 0
    assert _argv_written(tmp_path, command) == [
        VALUES["number"], VALUES["e164"], VALUES["customer_id"], NAME]
    assert not (tmp_path / "uid").exists()


@pytest.mark.parametrize(("command", "words"), [
    ("", "empty"), ("'unclosed", "cannot be read"),
    ("/no/such/program --flag", "/no/such/program cannot be started"),
])
def test_commands_that_cannot_start_say_why(command: str, words: str) -> None:
    with pytest.raises(CommandError, match=words):
        run_command(command, VALUES)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[SyncService, ScreenPopService]]:
    """A desk without a CRM (the cache answers alone), with a command and a URL template."""
    out = tmp_path / "argv.json"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} {shlex.quote(str(out))}"
    profile, settings = profile_for(
        tmp_path / "app", "", **{"calls.default_region": "RO", "screenpop.command": command,
                                 "screenpop.url_template":
                                     "https://crm.example.com/c/{customer_id}?who={display_name}"})
    sync = SyncService(profile, settings, SecretStore(f"softphone-test-{uuid.uuid4().hex[:8]}"))
    pop = ScreenPopService(sync, settings)
    try:
        yield sync, pop
    finally:
        pop.close()
        sync.stop()


def test_the_service_runs_the_command_and_expands_the_url_for_a_call(
        tmp_path: Path, service: tuple[SyncService, ScreenPopService]) -> None:
    sync, pop = service
    ana = Customer(id="c1", name="Ana", type="retail", phones=["+40720000001"],
                   updated_at=datetime.now(UTC))
    sync.cache.apply_page([Change(id="c1", customer=ana)], "1", False, frozenset(),
                          0.0).result()
    problems: list[tuple[str, str]] = []
    pop.add_problem_listener(lambda call_id, message: problems.append((call_id, message)))
    pop.on_incoming("call-1", "0720 000 001", NAME)
    result = wait_until(lambda: (r := pop.current()) and r.final and r, timeout=10)
    assert (result.source, result.customer_id) == ("cache", "c1")
    assert _argv_written(tmp_path, "screenpop.command") == [
        "0720 000 001", "+40720000001", "c1", NAME]
    url = pop.url_for(result)
    assert url is not None and url.startswith("https://crm.example.com/c/c1?who=Parisa%20%26")
    assert parse_qs(urlsplit(url).query)["who"] == [NAME]
    assert problems == []
