"""The udev rule shipped for headsets, and the instructions that go with it."""

from __future__ import annotations

import re
from pathlib import Path

from softphone.headset.service import PERMISSION_MESSAGE, UDEV_RULE

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
RULE = PACKAGING / "linux" / UDEV_RULE
VENDOR_LINE = re.compile(r'^ATTRS\{idVendor\}=="([0-9a-f]{4})", TAG\+="uaccess"$')


def rule_lines() -> list[str]:
    return [line for line in RULE.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_rule_grants_the_seat_headset_vendors_hidraw_nodes_only() -> None:
    lines = rule_lines()
    assert lines[0] == 'ACTION=="remove", GOTO="softphone_headsets_end"'
    assert lines[1] == 'SUBSYSTEM!="hidraw", GOTO="softphone_headsets_end"'
    assert lines[-1] == 'LABEL="softphone_headsets_end"'
    vendors = [VENDOR_LINE.match(line) for line in lines[2:-1]]
    assert all(vendors), lines
    found = {match.group(1) for match in vendors if match}
    assert found == {"0b0e", "047f", "1395", "6993"}
    assert "046d" not in found  # Logitech makes keyboards too: by product only


def test_rule_sorts_before_the_seat_rules_that_apply_uaccess() -> None:
    assert int(UDEV_RULE.split("-")[0]) < 73


def test_deployment_guide_and_the_agents_message_tell_the_same_steps() -> None:
    guide = (PACKAGING / "README.md").read_text()
    assert "## Headset buttons on Linux" in guide
    command = "udevadm control --reload && sudo udevadm trigger"
    assert command in guide and command in PERMISSION_MESSAGE
    assert f"linux/{UDEV_RULE}" in guide and UDEV_RULE in PERMISSION_MESSAGE
