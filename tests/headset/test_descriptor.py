"""The report-descriptor parser: fields, offsets, report IDs, usage pages and bad input."""

from __future__ import annotations

import contextlib
import random

import pytest

from softphone.headset.descriptor import (
    DescriptorError,
    ReportType,
    parse,
    read_bits,
    write_bits,
)
from tests.headset import descriptors as d

INPUT, OUTPUT = ReportType.INPUT, ReportType.OUTPUT
HOOK = (d.TELEPHONY, d.HOOK)
MUTE = (d.TELEPHONY, d.PHONE_MUTE)


def test_one_light_report_places_buttons_and_lights_without_report_ids() -> None:
    reports = parse(d.ONE_LIGHT_REPORT.descriptor)

    assert not reports.uses_report_ids
    hook = reports.locate(INPUT, HOOK)
    assert hook is not None and (hook.report_id, hook.bit_offset, hook.size) == (0, 0, 1)
    assert not hook.relative
    mute = reports.locate(INPUT, MUTE)
    assert mute is not None and (mute.bit_offset, mute.relative) == (1, True)
    offsets = {led: reports.locate(OUTPUT, (d.LEDS, led)) for led in
               (d.LED_OFF_HOOK, d.LED_MUTE, d.LED_RING, d.LED_HOLD)}
    assert [loc.bit_offset for loc in offsets.values() if loc] == [0, 1, 2, 3]
    assert reports.report_length(INPUT, 0) == 1
    assert reports.report_length(OUTPUT, 0) == 1
    assert reports.max_report_length(INPUT) == 1


def test_report_ids_keep_each_report_its_own_offsets() -> None:
    reports = parse(d.LIGHT_PER_REPORT.descriptor)

    assert reports.uses_report_ids
    hook = reports.locate(INPUT, HOOK)
    assert hook is not None and (hook.report_id, hook.bit_offset) == (2, 8)
    assert hook.field.application == (d.TELEPHONY, d.HEADSET)
    ring = reports.locate(OUTPUT, (d.LEDS, d.LED_RING))
    assert ring is not None and (ring.report_id, ring.bit_offset) == (4, 0)
    volume = reports.locate(INPUT, (d.CONSUMER, 0xEA))
    assert volume is not None and volume.report_id == 1 and volume.bit_offset == 1
    assert reports.report_length(INPUT, 2) == 2
    assert reports.max_report_length(INPUT) == 3  # report ID byte included


def test_ranges_arrays_extended_usages_and_push_pop() -> None:
    reports = parse(d.TOGGLE_HOOK.descriptor)

    hook = reports.locate(INPUT, HOOK)
    flash = reports.locate(INPUT, (d.TELEPHONY, d.FLASH))
    assert hook is not None and flash is not None
    assert (hook.bit_offset, flash.bit_offset, hook.relative) == (3, 4, True)
    assert reports.locate(INPUT, MUTE) is None  # only an array can report it
    (keys,) = reports.array_fields(INPUT, MUTE)
    assert (keys.bit_offset, keys.size, keys.logical_minimum) == (5, 2, 1)
    assert keys.usages == ((d.TELEPHONY, d.REDIAL), MUTE)
    ring = reports.locate(OUTPUT, (d.LEDS, d.LED_RING))
    assert ring is not None and (ring.report_id, ring.bit_offset) == (7, 8)
    assert reports.report_length(OUTPUT, 7) == 2


def test_short_usage_takes_the_page_in_effect_at_the_main_item() -> None:
    # Usage (0x20) before Usage Page (Telephony): the page at the Input item applies.
    descriptor = (d.usage_page(d.LEDS) + d.usage(d.HOOK) + d.usage_page(d.TELEPHONY)
                  + d.one_bit_range() + d.bits(1) + d.input_(d.DATA_VAR_ABS))
    assert parse(descriptor).locate(INPUT, HOOK) is not None


def test_logical_maximum_is_unsigned_unless_the_minimum_is_negative() -> None:
    unsigned = (d.usage_page(d.TELEPHONY) + d.usage(d.HOOK) + d.logical_minimum(0)
                + d.logical_maximum(0xFF, size=1, signed=False) + d.bits(1, size=8)
                + d.input_(d.DATA_VAR_ABS))
    signed = (d.usage_page(d.TELEPHONY) + d.usage(d.HOOK) + d.logical_minimum(-1)
              + d.logical_maximum(1) + d.bits(1, size=2) + d.input_(d.DATA_VAR_REL))
    assert parse(unsigned).fields[0].logical_maximum == 255
    field = parse(signed).fields[0]
    assert (field.logical_minimum, field.logical_maximum) == (-1, 1)


def test_feature_reports_and_constants_take_room_but_carry_no_usage() -> None:
    descriptor = (d.usage_page(d.TELEPHONY) + d.report_id(9) + d.one_bit_range()
                  + d.bits(8) + d.feature(d.CONSTANT)
                  + d.usage(d.HOOK) + d.bits(1) + d.feature(d.DATA_VAR_ABS))
    reports = parse(descriptor)
    hook = reports.locate(ReportType.FEATURE, HOOK)
    assert hook is not None and hook.bit_offset == 8
    assert len(reports.fields) == 1


def test_long_items_are_skipped() -> None:
    long_item = bytes([0xFE, 2, 0x42, 0xAA, 0xBB])
    descriptor = long_item + d.ONE_LIGHT_REPORT.descriptor
    assert parse(descriptor).locate(INPUT, HOOK) is not None


@pytest.mark.parametrize("descriptor", [
    pytest.param(d.ONE_LIGHT_REPORT.descriptor[:-2], id="collection never closed"),
    pytest.param(bytes([0x05]), id="item cut short"),
    pytest.param(d.end_collection(), id="end without collection"),
    pytest.param(d.pop(), id="pop without push"),
    pytest.param(d.report_size(64), id="report size over 32 bits"),
    pytest.param(d.report_id(0), id="report ID zero"),
    pytest.param(d.usage_maximum(3), id="range without minimum"),
    pytest.param(d.usage_minimum(9) + d.usage_maximum(3), id="range backwards"),
    pytest.param(bytes([0xFE, 9, 0]), id="long item past the end"),
    pytest.param(d.bits(60000, size=32) + d.input_(d.CONSTANT), id="report too long"),
])
def test_malformed_descriptors_are_refused(descriptor: bytes) -> None:
    with pytest.raises(DescriptorError):
        parse(descriptor)


def test_random_bytes_give_a_map_or_a_descriptor_error() -> None:
    # Descriptors come from devices: garbage must never raise anything else.
    rng = random.Random(20240611)
    for _ in range(3000):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        with contextlib.suppress(DescriptorError):
            parse(garbage)


def test_bits_across_byte_boundaries() -> None:
    payload = bytearray(3)
    write_bits(payload, 6, 4, 0b1011)
    assert payload == bytearray([0b1100_0000, 0b0000_0010, 0])
    assert read_bits(bytes(payload), 6, 4) == 0b1011
    write_bits(payload, 7, 1, 0)
    assert read_bits(bytes(payload), 6, 4) == 0b1001
    assert read_bits(b"", 0, 8) == 0  # a short report reads as zeros
