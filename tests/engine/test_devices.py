"""Device resolution by name over a fake device list (pure logic)."""

from __future__ import annotations

from typing import Any

from softphone.engine.devices import DeviceList, parse_devices, resolve


def dev(name: str, ins: int = 0, outs: int = 0) -> dict[str, Any]:
    return {"name": name, "max_input_channels": ins, "max_output_channels": outs}


RAW = [
    dev("HDA Intel PCH: ALC257 Analog (hw:0,0)", 2, 2),
    dev("Jabra Evolve2 65", 1, 2),
    dev("USB Speaker", 0, 2),
    dev("Webcam Mic", 1, 0),
    dev("default", 32, 32),
]


def devices(default_in: int = 4, default_out: int = 4) -> DeviceList:
    return parse_devices(RAW, default_in, default_out)


def test_exact_name() -> None:
    found = resolve("Jabra Evolve2 65", devices(), "input", "Microphone")
    assert (found.index, found.name, found.warning) == (1, "Jabra Evolve2 65", "")


def test_case_insensitive_name() -> None:
    found = resolve("jabra EVOLVE2 65", devices(), "output", "Speaker")
    assert (found.index, found.warning) == (1, "")


def test_empty_name_is_the_system_default() -> None:
    found = resolve("", devices(), "output", "Speaker")
    assert (found.name, found.warning) == ("default", "")


def test_missing_device_falls_back_with_plain_words() -> None:
    found = resolve("Headset X", devices(), "input", "Headset")
    assert found.name == "default"
    assert found.warning == 'Headset "Headset X" is not connected; using "default" instead.'


def test_device_without_the_needed_direction_is_not_used() -> None:
    found = resolve("Webcam Mic", devices(), "output", "Speaker")
    assert found.name == "default" and found.warning


def test_default_index_without_that_direction_falls_back_to_first() -> None:
    only = parse_devices([dev("Webcam Mic", 1, 0), dev("USB Speaker", 0, 2)], 0, 0)
    found = resolve("", only, "output", "Speaker")
    assert found.name == "USB Speaker"


def test_no_devices_at_all() -> None:
    found = resolve("Jabra", parse_devices([], -1, -1), "input", "Microphone")
    assert found.index is None and found.name == ""
    assert found.warning == "No microphone is connected."


def test_names_by_direction() -> None:
    listed = devices()
    assert "Webcam Mic" in listed.names("input") and "Webcam Mic" not in listed.names("output")
    assert "USB Speaker" in listed.names("output")
