"""``softphone crm import``: load customers, products and price lists from a file.

A JSON import file (every key but ``format`` and ``version`` optional)::

    {"format": "softphone-crm-import", "version": 1,
     "price_lists": PriceLists, "customers": [Customer...], "products": [Product...],
     "delete_customers": ["id", ...]}

or a CSV file of customers (:data:`CSV_COLUMNS`). Every record is checked with the wire
models first; one bad record and nothing is imported. Then everything is written in one
transaction with bulk statements. Runs on the command's main thread. Imports no Qt.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from softphone.crm import schema
from softphone.crm.server import records, store
from softphone.crm.server.database import Base, Database
from softphone.crm.server.models import (
    CatalogueState,
    ColumnForTypeRow,
    CustomerRow,
    DiscountRuleRow,
    PhoneRow,
    PriceColumnRow,
    PriceRow,
    ProductRow,
)
from softphone.errors import UserFacingError
from softphone.numbers import to_e164

FORMAT = "softphone-crm-import"
VERSION = 1
_KEYS = {"format", "version", "price_lists", "customers", "products", "delete_customers"}
CSV_COLUMNS = ("id", "name", "company", "phones", "email", "type", "manager_name",
               "manager_extension", "balance", "overdue_debt", "overpayment", "credit_limit",
               "region", "payment_terms", "delivery_address", "notes", "last_order_at")
_CSV_REQUIRED = ("id", "name", "type")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SHOWN_PROBLEMS = 30
_identifier = TypeAdapter(schema.Identifier)

M = TypeVar("M", bound=BaseModel)


@dataclass
class ImportData:
    price_lists: schema.PriceLists | None = None
    customers: list[schema.Customer] = field(default_factory=list)
    products: list[schema.Product] = field(default_factory=list)
    delete_ids: list[str] = field(default_factory=list)


@dataclass
class Summary:
    customers_added: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    customers_deleted: int = 0
    products_added: int = 0
    products_updated: int = 0
    price_lists: bool = False

    def describe(self) -> str:
        prices = "replaced" if self.price_lists else "unchanged"
        return (f"customers: {self.customers_added} added, {self.customers_updated} updated, "
                f"{self.customers_unchanged} unchanged, {self.customers_deleted} deleted; "
                f"products: {self.products_added} added, {self.products_updated} updated; "
                f"price lists: {prices}")


class _Problems:
    """What is wrong with the file, each naming the record and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, where: str, field_path: str, message: str) -> None:
        self.lines.append(f"{where}: {field_path}: {message}")

    def validate(self, where: str, model: type[M], data: object) -> M | None:
        """``data`` as ``model``, or None after noting each wrong field."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"]) or "(record)"
                self.add(where, path, error["msg"])
            return None

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        shown = self.lines[:_SHOWN_PROBLEMS]
        more = len(self.lines) - len(shown)
        if more:
            shown.append(f"... and {more} more")
        raise UserFacingError(f"{self.path}: nothing imported, {len(self.lines)} problem(s):\n"
                              + "\n".join(shown))


def read_file(path: Path, region: str, now: datetime) -> ImportData:
    """``path`` checked (``.csv``: customers; otherwise JSON); records stamped ``now``."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, region, now)
    return read_json(path, region, now)


# ------------------------------------------------------------------------------ reading
def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserFacingError(f"cannot read {path}: {exc}") from None


def _phones(value: object, region: str) -> object:
    """Phones in E.164 where they can be; anything else is left for validation to name."""
    if not isinstance(value, list):
        return value
    return [to_e164(phone, region) or phone
            if isinstance(phone, str) and not _E164.match(phone) else phone
            for phone in value]


def _where(section: str, index: int, item: object, key: str) -> str:
    label = item.get(key) if isinstance(item, dict) else None
    return f"{section}[{index}]" + (f" ({key} {label!r})" if isinstance(label, str) else "")


def _section(document: Mapping[str, Any], key: str, problems: _Problems) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        problems.add(key, "(section)", "must be a list")
        return []
    return value


def read_json(path: Path, region: str, now: datetime) -> ImportData:
    try:
        document = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise UserFacingError(f"{path} is not valid JSON: {exc}") from None
    if (not isinstance(document, dict) or document.get("format") != FORMAT
            or document.get("version") != VERSION):
        raise UserFacingError(f'{path} is not an import file: it needs "format": "{FORMAT}" '
                              f'and "version": {VERSION}')
    problems = _Problems(path)
    for key in sorted(set(document) - _KEYS):
        problems.add("file", key, "unknown key")
    data = ImportData()
    if "price_lists" in document:
        data.price_lists = problems.validate("price_lists", schema.PriceLists,
                                             document["price_lists"])
    for index, item in enumerate(_section(document, "customers", problems)):
        where = _where("customers", index, item, "id")
        record = item
        if isinstance(item, dict):
            record = {"updated_at": now, **item,
                      "phones": _phones(item.get("phones", []), region)}
        if (customer := problems.validate(where, schema.Customer, record)) is not None:
            data.customers.append(customer)
    for index, item in enumerate(_section(document, "products", problems)):
        where = _where("products", index, item, "sku")
        record = {"updated_at": now, **item} if isinstance(item, dict) else item
        if (product := problems.validate(where, schema.Product, record)) is not None:
            data.products.append(product)
    for index, item in enumerate(_section(document, "delete_customers", problems)):
        try:
            data.delete_ids.append(_identifier.validate_python(item))
        except ValidationError as exc:
            problems.add(f"delete_customers[{index}]", "id", exc.errors()[0]["msg"])
    _check_consistency(data, problems)
    problems.raise_if_any()
    return data


def _duplicates(values: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def _check_consistency(data: ImportData, problems: _Problems) -> None:
    """What no single record shows: repeated ids, and references to nothing."""
    for repeated in sorted(_duplicates(customer.id for customer in data.customers)):
        problems.add("customers", "id", f"{repeated!r} appears more than once")
    for repeated in sorted(_duplicates(product.sku for product in data.products)):
        problems.add("products", "sku", f"{repeated!r} appears more than once")
    for both in sorted({c.id for c in data.customers} & set(data.delete_ids)):
        problems.add("delete_customers", "id", f"{both!r} is also in customers")
    prices = data.price_lists
    if prices is None:
        return
    columns = [column.id for column in prices.columns]
    for repeated in sorted(_duplicates(columns)):
        problems.add("price_lists", "columns.id", f"{repeated!r} appears more than once")
    for repeated in sorted(_duplicates(rule.id for rule in prices.discount_rules)):
        problems.add("price_lists", "discount_rules.id", f"{repeated!r} appears more than once")
    for customer_type, column in prices.column_for_type.items():
        if column not in columns:
            problems.add("price_lists", f"column_for_type.{customer_type.value}",
                         f"no column {column!r}")


def _csv_record(row: Mapping[str, str], region: str, now: datetime, where: str,
                problems: _Problems) -> dict[str, Any]:
    """A CSV row as a ``Customer`` document; empty cells take the defaults."""
    record: dict[str, Any] = {key: value for key, value in row.items()
                              if key not in ("phones", "manager_name", "manager_extension")
                              and value != ""}
    record["updated_at"] = now
    record["phones"] = []
    for text in (row.get("phones") or "").split(";"):
        if not text.strip():
            continue
        phone = to_e164(text.strip(), region)
        if phone is None:
            problems.add(where, "phones", f"{text.strip()!r} is not a phone number")
        else:
            record["phones"].append(phone)
    manager, extension = row.get("manager_name") or "", row.get("manager_extension") or ""
    if manager:
        record["manager"] = {"name": manager, "extension": extension}
    elif extension:
        problems.add(where, "manager_extension", "given without manager_name")
    return record


def read_csv(path: Path, region: str, now: datetime) -> ImportData:
    """Customers from a CSV file with a header row naming :data:`CSV_COLUMNS` (any order)."""
    reader = csv.DictReader(_read_text(path).splitlines(keepends=True), restkey="(extra)")
    header = list(reader.fieldnames or [])
    missing = [column for column in _CSV_REQUIRED if column not in header]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if missing or unknown:
        raise UserFacingError(
            f"{path}: the header row must name the columns {', '.join(CSV_COLUMNS)} "
            f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})")
    problems = _Problems(path)
    data = ImportData()
    for row in reader:
        where = f"line {reader.line_num}"
        if "(extra)" in row:
            problems.add(where, "(row)", "more cells than the header has columns")
            continue
        record = _csv_record(row, region, now, where, problems)
        if (customer := problems.validate(where, schema.Customer, record)) is not None:
            data.customers.append(customer)
    _check_consistency(data, problems)
    problems.raise_if_any()
    return data


# ------------------------------------------------------------------------------ writing
def apply(database: Database, data: ImportData, now: datetime) -> Summary:
    """Write ``data`` in one transaction: all of it, or nothing."""
    summary = Summary()
    with database.write() as session:
        store.lock_change_feed(session)
        if data.price_lists is not None:
            _replace_price_lists(session, data.price_lists)
            summary.price_lists = True
        if data.products:
            _upsert_products(session, data.products, summary)
        _apply_customers(session, data.customers, data.delete_ids, now, summary)
    return summary


def _replace_price_lists(session: Session, prices: schema.PriceLists) -> None:
    session.execute(delete(ColumnForTypeRow))
    session.execute(delete(DiscountRuleRow))
    session.execute(delete(PriceColumnRow))
    if prices.columns:
        session.execute(insert(PriceColumnRow), [
            {"id": column.id, "position": index, "name": column.name}
            for index, column in enumerate(prices.columns)])
    if prices.column_for_type:
        session.execute(insert(ColumnForTypeRow), [
            {"customer_type": customer_type.value, "column_id": column}
            for customer_type, column in prices.column_for_type.items()])
    if prices.discount_rules:
        session.execute(insert(DiscountRuleRow), [
            {"id": rule.id, "position": index, "description": rule.description,
             "customer_type": rule.customer_type.value if rule.customer_type else None,
             "sku": rule.sku, "min_quantity": rule.min_quantity,
             "min_order_total": rule.min_order_total, "percent": rule.percent}
            for index, rule in enumerate(prices.discount_rules)])
    session.execute(update(CatalogueState).where(CatalogueState.id == 1).values(
        tax_percent=prices.tax_percent, prices_version=CatalogueState.prices_version + 1))


def _table(model: type[Base]) -> Table:
    """The Core table of ``model``, for bulk statements that skip the ORM's per-row work."""
    return Base.metadata.tables[model.__tablename__]


def _update_by_key(session: Session, table: Table, key: str, rows: Sequence[dict[str, Any]]
                   ) -> None:
    """One UPDATE statement run for all ``rows``, matched on column ``key``."""
    if not rows:
        return
    statement = update(table).where(table.c[key] == bindparam("match"))
    session.execute(statement, [{"match": row[key], **{name: value for name, value in row.items()
                                                       if name != key}} for row in rows])


def _upsert_products(session: Session, products: Sequence[schema.Product],
                     summary: Summary) -> None:
    known = set(session.scalars(select(ProductRow.sku)))
    rows = [{"sku": p.sku, "name": p.name, "unit": p.unit, "stock": p.stock,
             "is_new": p.is_new, "is_special": p.is_special, "updated_at": p.updated_at}
            for p in products]
    added = [row for row in rows if row["sku"] not in known]
    changed = [row for row in rows if row["sku"] in known]
    if added:
        session.execute(insert(_table(ProductRow)), added)
    _update_by_key(session, _table(ProductRow), "sku", changed)
    if changed:
        prices = _table(PriceRow)
        session.execute(delete(prices).where(prices.c.sku == bindparam("match")),
                        [{"match": row["sku"]} for row in changed])
    price_rows = [{"sku": p.sku, "column_id": column, "price": price}
                  for p in products for column, price in p.prices.items()]
    if price_rows:
        session.execute(insert(_table(PriceRow)), price_rows)
    session.execute(update(CatalogueState).where(CatalogueState.id == 1).values(
        products_version=CatalogueState.products_version + 1))
    summary.products_added, summary.products_updated = len(added), len(changed)


def _apply_customers(session: Session, customers: Sequence[schema.Customer],
                     delete_ids: Sequence[str], now: datetime, summary: Summary) -> None:
    """Insert, update and tombstone customers; each change gets a new change_seq."""
    existing = {id_: (digest, deleted, last_order) for id_, digest, deleted, last_order
                in session.execute(select(CustomerRow.id, CustomerRow.content_hash,
                                          CustomerRow.deleted, CustomerRow.last_order_at))}
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    phones: list[dict[str, Any]] = []
    for customer in customers:
        columns = records.customer_columns(customer)
        columns["content_hash"] = records.content_hash(columns, customer.phones)
        known = existing.get(customer.id)
        if known is not None:
            # Orders taken here since the export are newer than what the file knows.
            columns["last_order_at"] = store.later(columns["last_order_at"], known[2])
        if known == (columns["content_hash"], False, columns["last_order_at"]):
            summary.customers_unchanged += 1
            continue
        (changed if known else added).append({"id": customer.id, **columns})
        phones.extend({"customer_id": customer.id, "position": index, "e164": phone}
                      for index, phone in enumerate(customer.phones))
    gone = [{"id": id_, **records.TOMBSTONE, "updated_at": now} for id_ in delete_ids
            if id_ in existing and not existing[id_][1]]
    count = len(added) + len(changed) + len(gone)
    if count == 0:
        return
    # Values in file order: the feed then lists the changes in the order the file has them.
    first = store.reserve_change_seqs(session, count)
    for offset, row in enumerate([*added, *changed, *gone]):
        row["change_seq"] = first + offset
    table = _table(CustomerRow)
    if added:
        session.execute(insert(table), added)
    _update_by_key(session, table, "id", changed)
    _update_by_key(session, table, "id", gone)
    phone_table = _table(PhoneRow)
    replaced = [{"match": row["id"]} for row in (*changed, *gone)]
    if replaced:
        session.execute(
            delete(phone_table).where(phone_table.c.customer_id == bindparam("match")), replaced)
    if phones:
        session.execute(insert(phone_table), phones)
    summary.customers_added = len(added)
    summary.customers_updated = len(changed)
    summary.customers_deleted = len(gone)
