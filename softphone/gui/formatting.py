"""Words and numbers for the customer screens: dates, ages, customer types.

Pure functions (no widgets), so the card, the chooser and the order form say things the
same way. Values from the CRM are untrusted: ``bounded`` cuts them to a length a screen
can hold. Everything here runs on the GUI thread (it uses Qt's translator).
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QCoreApplication

from softphone.crm.schema import CustomerType
from softphone.gui.text import one_line

#: Longest one-line CRM text kept for a label (the tooltip shows up to this much too).
MAX_LINE_CHARS = 300
#: Longest multi-line CRM text (notes) kept for display.
MAX_NOTES_CHARS = 4000


def tr(text: str) -> str:
    return QCoreApplication.translate("Customer", text)


def bounded(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """Untrusted text as one bounded line."""
    return bounded(one_line(text), limit)


def day(value: date | datetime) -> str:
    """A date as ``2025-03-04`` (local date for a time)."""
    if isinstance(value, datetime):
        value = value.astimezone().date()
    return value.isoformat()


def age(seconds: float) -> str:
    """How old something is, roughly: "just now", "5 min", "3 h", "2 days"."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return tr("just now")
    if seconds < 3600:
        return tr("{n} min").format(n=int(seconds // 60))
    if seconds < 86_400:
        return tr("{n} h").format(n=int(seconds // 3600))
    days = int(seconds // 86_400)
    return tr("1 day") if days == 1 else tr("{n} days").format(n=days)


def source_text(source: str, fetched_at: datetime | None, now: datetime) -> str:
    """Where the card's data came from: "Live from the CRM", "From cache, 3 h old"."""
    if source == "crm":
        return tr("Live from the CRM")
    if source == "cache":
        if fetched_at is None:
            return tr("From cache")
        how_old = age((now - fetched_at).total_seconds())
        if how_old == tr("just now"):
            return tr("From cache, just now")
        return tr("From cache, {age} old").format(age=how_old)
    return tr("Not in the CRM")


TYPE_NAMES = {
    CustomerType.KEY: "Key account",
    CustomerType.REGIONAL: "Regional",
    CustomerType.RETAIL: "Retail (own point)",
    CustomerType.MARKETER: "Marketer",
    CustomerType.NEW: "New customer",
}


def type_name(kind: CustomerType) -> str:
    return tr(TYPE_NAMES.get(kind, str(kind)))
