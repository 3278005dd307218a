"""Report descriptors for the tests, composed item by item (HID 1.11, section 6.2.2).

Three layouts that differ where headsets differ:

- ``one_light_report``: no report IDs; one input report with all buttons and one
  output report with all four lights; the hook switch is Absolute (a level).
- ``light_per_report``: report IDs; a consumer-control collection (volume keys) in
  front; the hook switch sits after a padding byte; each light in its own report.
- ``toggle_hook``: report IDs; the hook switch is Relative (a toggle button) and comes
  from a usage range together with Flash; Redial and Mute are keys of an array field;
  the lights are given as 4-byte (page and ID) usages after Push/Pop.

Each :class:`Layout` also knows how to build its input reports and where its lights sit,
written out by hand here so that the tests do not trust the parser to read them back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Item kinds (bits 2-3 of the prefix byte).
MAIN, GLOBAL, LOCAL = 0, 1, 2

# Main item data: bit 0 Constant, bit 1 Variable, bit 2 Relative.
DATA_ARRAY = 0x00
CONSTANT = 0x01
DATA_VAR_ABS = 0x02
DATA_VAR_REL = 0x06

TELEPHONY, LEDS, CONSUMER = 0x0B, 0x08, 0x0C
HEADSET, HOOK, FLASH, REDIAL, PHONE_MUTE = 0x05, 0x20, 0x21, 0x24, 0x2F
LED_MUTE, LED_OFF_HOOK, LED_RING, LED_HOLD = 0x09, 0x17, 0x18, 0x20
APPLICATION = 0x01


def item(kind: int, tag: int, value: int | None = None, *, size: int | None = None,
         signed: bool = False) -> bytes:
    """One short item: prefix byte (tag, kind, size code) then little-endian data."""
    if value is None:
        return bytes([tag << 4 | kind << 2])
    if size is None:
        size = next(n for n in (1, 2, 4) if _fits(value, n, signed))
    code = {1: 1, 2: 2, 4: 3}[size]
    return bytes([tag << 4 | kind << 2 | code]) + value.to_bytes(size, "little", signed=signed)


def _fits(value: int, size: int, signed: bool) -> bool:
    bits = 8 * size
    if signed:
        return -(1 << (bits - 1)) <= value < 1 << (bits - 1)
    return 0 <= value < 1 << bits


# Global items
def usage_page(page: int) -> bytes:
    return item(GLOBAL, 0x0, page)


def logical_minimum(value: int) -> bytes:
    return item(GLOBAL, 0x1, value, signed=True)


def logical_maximum(value: int, *, size: int | None = None, signed: bool = True) -> bytes:
    return item(GLOBAL, 0x2, value, size=size, signed=signed)


def report_size(bits: int) -> bytes:
    return item(GLOBAL, 0x7, bits)


def report_id(number: int) -> bytes:
    return item(GLOBAL, 0x8, number)


def report_count(count: int) -> bytes:
    return item(GLOBAL, 0x9, count)


def push() -> bytes:
    return item(GLOBAL, 0xA)


def pop() -> bytes:
    return item(GLOBAL, 0xB)


# Local items
def usage(usage_id: int) -> bytes:
    return item(LOCAL, 0x0, usage_id)


def extended_usage(page: int, usage_id: int) -> bytes:
    """A 4-byte usage: the page in the high 16 bits, whatever the Usage Page item says."""
    return item(LOCAL, 0x0, page << 16 | usage_id, size=4)


def usage_minimum(usage_id: int) -> bytes:
    return item(LOCAL, 0x1, usage_id)


def usage_maximum(usage_id: int) -> bytes:
    return item(LOCAL, 0x2, usage_id)


# Main items
def collection(kind: int) -> bytes:
    return item(MAIN, 0xA, kind)


def end_collection() -> bytes:
    return item(MAIN, 0xC)


def input_(flags: int) -> bytes:
    return item(MAIN, 0x8, flags)


def output(flags: int) -> bytes:
    return item(MAIN, 0x9, flags)


def feature(flags: int) -> bytes:
    return item(MAIN, 0xB, flags)


def bits(count: int, size: int = 1) -> bytes:
    """Report Size and Report Count together."""
    return report_size(size) + report_count(count)


def one_bit_range() -> bytes:
    return logical_minimum(0) + logical_maximum(1)


def padding(count: int) -> bytes:
    return bits(count) + input_(CONSTANT)


def output_padding(count: int) -> bytes:
    return bits(count) + output(CONSTANT)


def telephony_headset(*body: bytes) -> bytes:
    """A top-level Telephony / Headset application collection around ``body``."""
    return (usage_page(TELEPHONY) + usage(HEADSET) + collection(APPLICATION)
            + b"".join(body) + end_collection())


# ------------------------------------------------------------------ layouts


@dataclass(frozen=True)
class Layout:
    name: str
    descriptor: bytes
    uses_report_ids: bool
    hook_is_toggle: bool
    #: (hook, mute, flash, redial) levels -> one input report, report ID first if any
    buttons: Callable[[bool, bool, bool, bool], bytes]
    #: light name -> (report ID, bit offset in the payload after the report ID)
    light_bits: dict[str, tuple[int, int]]

    def report(self, *, hook: bool = False, mute: bool = False, flash: bool = False,
               redial: bool = False) -> bytes:
        return self.buttons(hook, mute, flash, redial)


def _one_light_report() -> Layout:
    descriptor = telephony_headset(
        one_bit_range(),
        usage(HOOK) + bits(1) + input_(DATA_VAR_ABS),               # input bit 0
        usage(PHONE_MUTE) + usage(FLASH) + usage(REDIAL)
        + bits(3) + input_(DATA_VAR_REL),                             # input bits 1-3
        padding(4),
        usage_page(LEDS),
        usage(LED_OFF_HOOK) + usage(LED_MUTE) + usage(LED_RING) + usage(LED_HOLD)
        + bits(4) + output(DATA_VAR_ABS),                             # output bits 0-3
        output_padding(4),
    )

    def buttons(hook: bool, mute: bool, flash: bool, redial: bool) -> bytes:
        return bytes([hook | mute << 1 | flash << 2 | redial << 3])

    return Layout("one light report", descriptor, False, False, buttons,
                  {"off_hook": (0, 0), "mute": (0, 1), "ring": (0, 2), "hold": (0, 3)})


def _light_per_report() -> Layout:
    volume_keys = (usage_page(CONSUMER) + usage(0x01) + collection(APPLICATION)
                   + report_id(1) + one_bit_range()
                   + usage(0xE9) + usage(0xEA) + bits(2) + input_(DATA_VAR_REL)
                   + padding(6) + end_collection())

    def light(number: int, led: int) -> bytes:
        return (report_id(number) + usage(led) + bits(1) + output(DATA_VAR_ABS)
                + output_padding(7))

    descriptor = volume_keys + telephony_headset(
        report_id(2), one_bit_range(),
        padding(8),                                                   # a byte in front
        usage(HOOK) + bits(1) + input_(DATA_VAR_ABS),                 # bit 8
        usage(PHONE_MUTE) + bits(1) + input_(DATA_VAR_REL),           # bit 9
        padding(6),
        usage_page(LEDS),
        light(3, LED_OFF_HOOK), light(4, LED_RING), light(5, LED_MUTE), light(6, LED_HOLD),
    )

    def buttons(hook: bool, mute: bool, _flash: bool, _redial: bool) -> bytes:
        return bytes([2, 0, hook | mute << 1])

    return Layout("light per report", descriptor, True, False, buttons,
                  {"off_hook": (3, 0), "ring": (4, 0), "mute": (5, 0), "hold": (6, 0)})


def _toggle_hook() -> Layout:
    descriptor = telephony_headset(
        report_id(5), one_bit_range(),
        padding(3),                                                   # bits 0-2
        usage_minimum(HOOK) + usage_maximum(FLASH)                    # hook bit 3, flash 4
        + bits(2) + input_(DATA_VAR_REL),
        # An array of one 2-bit value: 0 none, 1 Redial, 2 Phone Mute (bits 5-6).
        logical_minimum(1) + logical_maximum(2) + usage(REDIAL) + usage(PHONE_MUTE)
        + bits(1, size=2) + input_(DATA_ARRAY),
        padding(1),
        push(),
        report_id(7) + one_bit_range() + bits(2, size=4) + output(CONSTANT),  # 8 bits
        pop(),                                                        # back to report 5
        report_id(7),
        extended_usage(LEDS, LED_RING) + extended_usage(LEDS, LED_OFF_HOOK)
        + extended_usage(LEDS, LED_HOLD) + extended_usage(LEDS, LED_MUTE)
        + one_bit_range() + bits(4) + output(DATA_VAR_ABS),           # output bits 8-11
        output_padding(4),
    )

    def buttons(hook: bool, mute: bool, flash: bool, redial: bool) -> bytes:
        key = 2 if mute else 1 if redial else 0
        return bytes([5, hook << 3 | flash << 4 | key << 5])

    return Layout("toggle hook", descriptor, True, True, buttons,
                  {"ring": (7, 8), "off_hook": (7, 9), "hold": (7, 10), "mute": (7, 11)})


ONE_LIGHT_REPORT = _one_light_report()
LIGHT_PER_REPORT = _light_per_report()
TOGGLE_HOOK = _toggle_hook()
LAYOUTS = (ONE_LIGHT_REPORT, LIGHT_PER_REPORT, TOGGLE_HOOK)


def shown(layout: Layout, written: list[bytes]) -> dict[str, bool]:
    """The lights as the last written report of each report ID left them."""
    last: dict[int, bytes] = {}
    for report in written:
        last[report[0]] = report[1:]
    lights: dict[str, bool] = {}
    for name, (rid, bit) in layout.light_bits.items():
        payload = last.get(rid, b"")
        lights[name] = bit // 8 < len(payload) and bool(payload[bit // 8] >> bit % 8 & 1)
    return lights
