"""Reading a file of orders into the shape of `POST /api/v1/orders`, one entry per order. No writes.

CSV: one row per order *line*; rows with the same `external_ref` are one order (they need not be next
to each other). Header names are case-insensitive and their order is free; the order's own cells
(customer, address, methods...) may be repeated on every line or given once: a different non-empty value
on a later row of the same order is an error. Columns:

    external_ref, customer_name, customer_phone, customer_email, customer_language,
    country, region, city, postal_code, address_line1, address_line2,
    delivery_method, payment_method, priority, comment,
    preferred_date, preferred_time_from, preferred_time_to,
    sku, quantity, line_note

Row numbers are the spreadsheet's (the header is row 1). In the report, order fields are named by their
column (`customer_phone`) and line fields by row and column (`rows.5.sku`).

JSON: a list of orders (or `{"orders": [...]}`), each exactly the body of `POST /api/v1/orders`; the
channel comes from the import (an order naming another channel is refused). Orders are numbered from 1 in
the file's order and fields are named as the API names them (`customer.phone`, `lines.0.sku`).

A file that cannot be read at all raises ImportFileError (the upload is refused with a 422); everything
else is reported per order, so the good orders of a file are placed and the bad ones listed.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.catalog.csv_io import read_rows

from .models import ImportFormat

MAX_ORDERS = 10_000
MAX_ROWS = 100_000

# CSV column → where it goes in the order body.
ORDER_COLUMNS: dict[str, str] = {
    "customer_name": "customer.name",
    "customer_phone": "customer.phone",
    "customer_email": "customer.email",
    "customer_language": "customer.language",
    "country": "shipping_address.country",
    "region": "shipping_address.region",
    "city": "shipping_address.city",
    "postal_code": "shipping_address.postal_code",
    "address_line1": "shipping_address.line1",
    "address_line2": "shipping_address.line2",
    "delivery_method": "delivery_method",
    "payment_method": "payment_method",
    "priority": "priority",
    "comment": "comment",
    "preferred_date": "preferred_delivery.date",
    "preferred_time_from": "preferred_delivery.time_from",
    "preferred_time_to": "preferred_delivery.time_to",
}
LINE_COLUMNS: dict[str, str] = {"sku": "sku", "quantity": "quantity", "line_note": "note"}
COLUMNS = ["external_ref", *ORDER_COLUMNS, *LINE_COLUMNS]
REQUIRED_COLUMNS = [
    "external_ref",
    "customer_name",
    "customer_phone",
    "country",
    "delivery_method",
    "payment_method",
    "sku",
    "quantity",
]
_PATH_TO_COLUMN = {path: column for column, path in ORDER_COLUMNS.items()}
_LINE_FIELD_TO_COLUMN = {path: column for column, path in LINE_COLUMNS.items()}
_LINE_PATH = re.compile(r"^lines\.(\d+)\.(\w+)$")
_WHOLE_NUMBER = re.compile(r"^\d{1,9}$")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (the message says why, for the person who uploaded it)."""


@dataclass
class ParsedOrder:
    """One order of the file: the body to place, or the problems found while reading it."""

    row: int  # CSV: the spreadsheet row of its first line; JSON: its position in the list, from 1
    external_ref: str
    payload: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    line_rows: list[int] = field(default_factory=list)  # CSV: the row of each line

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, str(message))


def detect_format(file_name: str, content: str, requested: str | None = None) -> str:
    """The format asked for, else the file's extension, else a look at the first character."""
    if requested:
        if requested not in ImportFormat.values:
            raise ImportFileError(_("Unknown format; use csv or json."))
        return requested
    name = (file_name or "").lower()
    if name.endswith(".json"):
        return ImportFormat.JSON
    if name.endswith((".csv", ".tsv", ".txt")):
        return ImportFormat.CSV
    return ImportFormat.JSON if content.lstrip("\ufeff \t\r\n")[:1] in {"[", "{"} else ImportFormat.CSV


def parse(content: str, file_format: str) -> list[ParsedOrder]:
    if file_format == ImportFormat.JSON:
        return parse_json(content)
    if file_format == ImportFormat.CSV:
        return parse_csv(content)
    raise ImportFileError(_("Unknown format; use csv or json."))


# --- JSON ----------------------------------------------------------------------------------------------


def parse_json(content: str) -> list[ParsedOrder]:
    try:
        data = json.loads(content.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise ImportFileError(
            _("The file is not valid JSON: %(problem)s") % {"problem": str(exc)[:200]}
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        data = data["orders"]
    if not isinstance(data, list):
        raise ImportFileError(_('Expected a list of orders (or {"orders": [...]}).'))
    if not data:
        raise ImportFileError(_("The file has no orders."))
    if len(data) > MAX_ORDERS:
        raise ImportFileError(
            ngettext(
                "At most %(n)s order per file; split it.",
                "At most %(n)s orders per file; split it.",
                MAX_ORDERS,
            )
            % {"n": MAX_ORDERS}
        )
    orders = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            order = ParsedOrder(row=number, external_ref="", payload={})
            order.error("body", _("Each order must be a JSON object."))
        else:
            ref = item.get("external_ref")
            order = ParsedOrder(
                row=number, external_ref=ref.strip() if isinstance(ref, str) else "", payload=item
            )
            if not order.external_ref:
                order.error(
                    "external_ref",
                    _("Required in an import: it keeps a re-run from placing the order twice."),
                )
        orders.append(order)
    return orders


# --- CSV -----------------------------------------------------------------------------------------------


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    target = payload
    for name in parents:
        target = target.setdefault(name, {})
    target[leaf] = value


def _check_header(header: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("Unknown columns: %(columns)s. Known columns: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileError(
            _("The header lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise ImportFileError(
            _("Columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)}
        )
    return columns


def parse_csv(content: str) -> list[ParsedOrder]:
    try:
        rows = read_rows(content)
    except csv.Error as exc:
        raise ImportFileError(
            _("The file is not readable CSV: %(problem)s") % {"problem": str(exc)[:200]}
        ) from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFileError(_("The file is empty."))
    columns = _check_header(rows[0])
    numbered = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if not numbered:
        raise ImportFileError(_("The file has no rows below the header."))
    if len(numbered) > MAX_ROWS:
        raise ImportFileError(
            ngettext(
                "At most %(n)s row per file; split it.", "At most %(n)s rows per file; split it.", MAX_ROWS
            )
            % {"n": MAX_ROWS}
        )
    position = {name: index for index, name in enumerate(columns) if name}

    def cell(row: list[str], name: str) -> str:
        index = position.get(name)
        return row[index].replace("\x00", "").strip() if index is not None and index < len(row) else ""

    orders: dict[str, ParsedOrder] = {}
    first_row: dict[tuple[int, str], int] = {}  # (order, column) → the row that gave the value
    result: list[ParsedOrder] = []
    for number, row in numbered:
        ref = cell(row, "external_ref")
        order = orders.get(ref) if ref else None
        if order is None:
            order = ParsedOrder(row=number, external_ref=ref, payload={"external_ref": ref, "lines": []})
            result.append(order)
            if ref:
                orders[ref] = order
            else:
                order.error("external_ref", _("Required: rows with the same external_ref form one order."))
            if len(result) > MAX_ORDERS:
                raise ImportFileError(
                    ngettext(
                        "At most %(n)s order per file; split it.",
                        "At most %(n)s orders per file; split it.",
                        MAX_ORDERS,
                    )
                    % {"n": MAX_ORDERS}
                )
        if len(row) > len(columns):
            order.error(f"rows.{number}", _("The row has more cells than the header has columns."))
        for column, path in ORDER_COLUMNS.items():
            value = cell(row, column)
            if not value:
                continue
            key = (id(order), column)
            if key not in first_row:
                first_row[key] = number
                _set(order.payload, path, value)
            elif _get(order.payload, path) != value:
                order.error(
                    column,
                    _("Differs from row %(row)s of the same order.") % {"row": first_row[key]},
                )
        index = len(order.payload["lines"])
        raw_quantity = cell(row, "quantity")
        quantity: int = 0
        if _WHOLE_NUMBER.match(raw_quantity):
            quantity = int(raw_quantity)
        else:
            order.error(f"lines.{index}.quantity", _("Not a whole number."))
        order.payload["lines"].append(
            {"sku": cell(row, "sku"), "quantity": quantity, "note": cell(row, "line_note")}
        )
        order.line_rows.append(number)
    for order in result:
        _fill_defaults(order.payload)
    return result


def _get(payload: dict[str, Any], path: str) -> Any:
    value: Any = payload
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _fill_defaults(payload: dict[str, Any]) -> None:
    """Blank cells become the body's defaults, so the order is checked exactly like an API order."""
    payload.setdefault("customer", {}).setdefault("name", "")
    payload["customer"].setdefault("phone", "")
    payload.setdefault("shipping_address", {}).setdefault("country", "")
    payload.setdefault("delivery_method", "")
    payload.setdefault("payment_method", "")
    payload.setdefault("priority", "normal")
    payload["priority"] = str(payload["priority"]).lower()


# --- Naming fields in the report -------------------------------------------------------------------------


def report_errors(errors: dict[str, Any], order: ParsedOrder, file_format: str) -> dict[str, str]:
    """Field → message in the file's own terms: API paths for JSON, columns and rows for CSV."""
    if file_format != ImportFormat.CSV:
        return {name: str(message) for name, message in errors.items()}
    named: dict[str, str] = {}
    for name, message in errors.items():
        named.setdefault(csv_field(name, order), str(message))
    return named


def csv_field(name: str, order: ParsedOrder) -> str:
    if name in _PATH_TO_COLUMN:
        return _PATH_TO_COLUMN[name]
    match = _LINE_PATH.match(name)
    if match:
        index, line_field = int(match.group(1)), match.group(2)
        column = _LINE_FIELD_TO_COLUMN.get(line_field, line_field)
        if index < len(order.line_rows):
            return f"rows.{order.line_rows[index]}.{column}"
        return column
    if name == "lines":
        return "sku"
    if name.startswith("preferred_delivery"):
        return "preferred_date"
    return name
