"""HID report descriptors: where each usage's bits sit in which report.

A report descriptor is a list of items (HID 1.11, section 6.2.2). Global items (usage
page, logical range, report size/count/ID) persist until changed; local items (usages,
usage ranges) apply to the next main item only; main items (Input, Output, Feature)
add fields to a report and consume the local state; Collection/End Collection nest.

``parse(descriptor)`` returns a :class:`ReportMap`: every field with its report type,
report ID, bit offset within the report's payload (after the report ID byte, when the
device numbers its reports), bit size and the usages it carries.

Pure functions on bytes; no threads, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum

#: Bounds that a real device never reaches; past them the descriptor is rejected.
MAX_REPORT_BITS = 8 * 4096
MAX_USAGES_PER_ITEM = 4096


class DescriptorError(ValueError):
    """The bytes are not a report descriptor this parser can use."""


class ReportType(Enum):
    INPUT = "input"
    OUTPUT = "output"
    FEATURE = "feature"


#: A usage is (usage page, usage ID).
Usage = tuple[int, int]


@dataclass(frozen=True)
class Field:
    """One Input/Output/Feature main item: ``count`` values of ``size`` bits each."""

    report_type: ReportType
    report_id: int
    bit_offset: int
    size: int
    count: int
    usages: tuple[Usage, ...]
    logical_minimum: int
    logical_maximum: int
    flags: int
    application: Usage | None  # the top-level collection the field belongs to

    @property
    def constant(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def variable(self) -> bool:
        """Each value is one usage's state (else each value is an index into the usages)."""
        return bool(self.flags & 0x02)

    @property
    def relative(self) -> bool:
        """Values report a change (a press) rather than a level."""
        return bool(self.flags & 0x04)

    def usage_at(self, index: int) -> Usage | None:
        """The usage of value ``index`` of a variable field (the last one repeats)."""
        if not self.usages:
            return None
        return self.usages[min(index, len(self.usages) - 1)]


@dataclass(frozen=True)
class Location:
    """Where one usage of a variable field sits: ``size`` bits from ``bit_offset``."""

    report_type: ReportType
    report_id: int
    bit_offset: int
    size: int
    field: Field

    @property
    def relative(self) -> bool:
        return self.field.relative


@dataclass(frozen=True)
class ReportMap:
    """Every non-constant field of a device, plus the byte length of each report."""

    fields: tuple[Field, ...]
    report_bits: dict[tuple[ReportType, int], int]
    uses_report_ids: bool

    def locate(self, report_type: ReportType, usage: Usage) -> Location | None:
        """The first variable field value carrying ``usage``, preferring telephony
        application collections (a headset may repeat usages in a vendor collection)."""
        found = [loc for loc in self._locations(report_type, usage)]
        found.sort(key=lambda loc: not _is_telephony(loc.field.application))
        return found[0] if found else None

    def array_fields(self, report_type: ReportType, usage: Usage) -> list[Field]:
        """Array fields (values are indexes into the usages) that can report ``usage``."""
        return [f for f in self.fields if f.report_type is report_type
                and not f.variable and usage in f.usages]

    def report_length(self, report_type: ReportType, report_id: int) -> int:
        """Bytes of the report's payload, without the report ID byte."""
        return (self.report_bits.get((report_type, report_id), 0) + 7) // 8

    def max_report_length(self, report_type: ReportType) -> int:
        """Bytes of the longest report of this type, with the report ID byte if any."""
        lengths = [(bits + 7) // 8 for (kind, _id), bits in self.report_bits.items()
                   if kind is report_type]
        return max(lengths, default=0) + (1 if self.uses_report_ids else 0)

    def _locations(self, report_type: ReportType, usage: Usage) -> Iterator[Location]:
        for f in self.fields:
            if f.report_type is not report_type or not f.variable:
                continue
            for index in range(f.count):
                if f.usage_at(index) == usage:
                    yield Location(report_type, f.report_id,
                                   f.bit_offset + index * f.size, f.size, f)


def _is_telephony(application: Usage | None) -> bool:
    return application is not None and application[0] == 0x0B


# ------------------------------------------------------------------ bits in reports


def read_bits(payload: bytes, bit_offset: int, size: int) -> int:
    """The unsigned value of ``size`` bits from ``bit_offset`` (HID is little-endian)."""
    value = 0
    for i in range(size):
        bit = bit_offset + i
        byte = bit // 8
        if byte < len(payload) and payload[byte] >> (bit % 8) & 1:
            value |= 1 << i
    return value


def write_bits(payload: bytearray, bit_offset: int, size: int, value: int) -> None:
    """Store the low ``size`` bits of ``value`` at ``bit_offset``."""
    for i in range(size):
        bit = bit_offset + i
        mask = 1 << (bit % 8)
        if value >> i & 1:
            payload[bit // 8] |= mask
        else:
            payload[bit // 8] &= ~mask & 0xFF


# ------------------------------------------------------------------ items


@dataclass(frozen=True)
class Item:
    kind: int  # 0 main, 1 global, 2 local
    tag: int
    data: bytes

    @property
    def unsigned(self) -> int:
        return int.from_bytes(self.data, "little")

    @property
    def signed(self) -> int:
        return int.from_bytes(self.data, "little", signed=True) if self.data else 0


def items(descriptor: bytes) -> Iterator[Item]:
    """The short items of a descriptor; long items (never used by real devices) skipped."""
    pos = 0
    while pos < len(descriptor):
        prefix = descriptor[pos]
        if prefix == 0xFE:  # long item: size byte, tag byte, data
            if pos + 2 >= len(descriptor):
                raise DescriptorError(f"long item cut short at byte {pos}")
            pos += 3 + descriptor[pos + 1]
            continue
        size = (0, 1, 2, 4)[prefix & 0x03]
        data = descriptor[pos + 1:pos + 1 + size]
        if len(data) != size:
            raise DescriptorError(f"item at byte {pos} is cut short")
        yield Item((prefix >> 2) & 0x03, prefix >> 4, bytes(data))
        pos += 1 + size
    if pos > len(descriptor):
        raise DescriptorError("long item runs past the end")


# ------------------------------------------------------------------ parser state


@dataclass(frozen=True)
class _Globals:
    usage_page: int = 0
    logical_minimum: int = 0
    logical_maximum: int = 0
    logical_maximum_raw: bytes = b""
    report_size: int = 0
    report_count: int = 0
    report_id: int = 0


@dataclass
class _Locals:
    usages: list[Usage] = field(default_factory=list)
    extended: list[bool] = field(default_factory=list)  # given as a 4-byte usage
    minimum: Usage | None = None
    delimiter_depth: int = 0
    delimiter_sets: int = 0

    def add(self, usage: Usage, extended: bool) -> None:
        if self.delimiter_sets > 1:
            return  # alternative usages of a delimited set: the first set is used
        if len(self.usages) >= MAX_USAGES_PER_ITEM:
            raise DescriptorError("too many usages for one main item")
        self.usages.append(usage)
        self.extended.append(extended)


_MAIN_TYPES = {0x8: ReportType.INPUT, 0x9: ReportType.OUTPUT, 0xB: ReportType.FEATURE}


class _Parser:
    def __init__(self) -> None:
        self.globals = _Globals()
        self.stack: list[_Globals] = []
        self.locals = _Locals()
        self.collections: list[Usage | None] = []
        self.application: Usage | None = None
        self.fields: list[Field] = []
        self.report_bits: dict[tuple[ReportType, int], int] = {}
        self.uses_report_ids = False

    def feed(self, item: Item) -> None:
        if item.kind == 0:
            self._main(item)
        elif item.kind == 1:
            self._global(item)
        elif item.kind == 2:
            self._local(item)

    # -------------------------------------------------------------- main items

    def _main(self, item: Item) -> None:
        if item.tag in _MAIN_TYPES:
            self._add_field(_MAIN_TYPES[item.tag], item.unsigned)
        elif item.tag == 0xA:
            usages = self._final_usages()
            usage = usages[0] if usages else None
            if not self.collections:
                self.application = usage
            self.collections.append(usage)
        elif item.tag == 0xC:
            if not self.collections:
                raise DescriptorError("End Collection without a Collection")
            self.collections.pop()
        self.locals = _Locals()

    def _add_field(self, report_type: ReportType, flags: int) -> None:
        g = self.globals
        bits = g.report_size * g.report_count
        key = (report_type, g.report_id)
        offset = self.report_bits.get(key, 0)
        if offset + bits > MAX_REPORT_BITS:
            raise DescriptorError(f"{report_type.value} report {g.report_id} is too long")
        self.report_bits[key] = offset + bits
        usages = self._final_usages()
        if bits and usages and not flags & 0x01:
            self.fields.append(Field(
                report_type, g.report_id, offset, g.report_size, g.report_count,
                tuple(usages), g.logical_minimum, self._logical_maximum(), flags,
                self.application))

    def _final_usages(self) -> list[Usage]:
        """Usages given as 1- or 2-byte IDs take the usage page in effect at the main
        item, unless a later Usage Page item already followed them (as Linux does)."""
        page = self.globals.usage_page
        usages = list(self.locals.usages)
        for i in range(len(usages) - 1, -1, -1):
            if self.locals.extended[i]:
                continue
            if usages[i][0] == page:
                break
            usages[i] = (page, usages[i][1])
        return usages

    def _logical_maximum(self) -> int:
        """Logical Maximum is signed only when Logical Minimum is negative."""
        g = self.globals
        if g.logical_minimum < 0:
            return g.logical_maximum
        return int.from_bytes(g.logical_maximum_raw, "little")

    # -------------------------------------------------------------- global items

    def _global(self, item: Item) -> None:
        g = self.globals
        tag = item.tag
        if tag == 0x0:
            self.globals = replace(g, usage_page=item.unsigned & 0xFFFF)
        elif tag == 0x1:
            self.globals = replace(g, logical_minimum=item.signed)
        elif tag == 0x2:
            self.globals = replace(g, logical_maximum=item.signed,
                                   logical_maximum_raw=item.data)
        elif tag == 0x7:
            self._set_report_size(item.unsigned)
        elif tag == 0x8:
            self._set_report_id(item.unsigned)
        elif tag == 0x9:
            self.globals = replace(g, report_count=item.unsigned)
        elif tag == 0xA:
            self.stack.append(g)
        elif tag == 0xB:
            if not self.stack:
                raise DescriptorError("Pop without a Push")
            self.globals = self.stack.pop()
        # Physical range, unit and exponent do not matter for buttons and lights.

    def _set_report_size(self, size: int) -> None:
        if size > 32:
            raise DescriptorError(f"report size {size} is larger than 32 bits")
        self.globals = replace(self.globals, report_size=size)

    def _set_report_id(self, report_id: int) -> None:
        if not 1 <= report_id <= 255:
            raise DescriptorError(f"report ID {report_id} is not 1 to 255")
        self.uses_report_ids = True
        self.globals = replace(self.globals, report_id=report_id)

    # -------------------------------------------------------------- local items

    def _local(self, item: Item) -> None:
        tag = item.tag
        if tag == 0x0:
            self.locals.add(self._usage(item), len(item.data) == 4)
        elif tag == 0x1:
            self.locals.minimum = self._usage(item)
        elif tag == 0x2:
            self._add_range(self._usage(item), len(item.data) == 4)
        elif tag == 0xA:
            self._delimiter(item.unsigned)

    def _usage(self, item: Item) -> Usage:
        if len(item.data) == 4:
            return (item.unsigned >> 16, item.unsigned & 0xFFFF)
        return (self.globals.usage_page, item.unsigned)

    def _add_range(self, maximum: Usage, extended: bool) -> None:
        minimum = self.locals.minimum
        if minimum is None:
            raise DescriptorError("Usage Maximum without a Usage Minimum")
        if maximum[1] < minimum[1] or maximum[1] - minimum[1] >= MAX_USAGES_PER_ITEM:
            raise DescriptorError(f"usage range {minimum[1]:#x}..{maximum[1]:#x} is invalid")
        page = minimum[0]
        for usage_id in range(minimum[1], maximum[1] + 1):
            self.locals.add((page, usage_id), extended)
        self.locals.minimum = None

    def _delimiter(self, value: int) -> None:
        if value == 1:
            self.locals.delimiter_depth += 1
            self.locals.delimiter_sets += 1
        elif self.locals.delimiter_depth:
            self.locals.delimiter_depth -= 1


def parse(descriptor: bytes) -> ReportMap:
    """The report map of ``descriptor``; raises DescriptorError on malformed input."""
    parser = _Parser()
    for item in items(descriptor):
        parser.feed(item)
    if parser.collections:
        raise DescriptorError("a Collection is never closed")
    return ReportMap(tuple(parser.fields), dict(parser.report_bits), parser.uses_report_ids)
