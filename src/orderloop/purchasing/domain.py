"""Pure rules of purchasing, no ORM: the purchase order's status machine, the reorder computation
(docs/purchasing.md), MOQ / pack-size rounding, receipts' over- and under-deliveries, and reading a
supplier's price list CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .models import PurchaseOrderStatus, ReorderMethod

S = PurchaseOrderStatus

# --- The purchase order's status machine -------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    # Being prepared: lines may still change. Sending e-mails the PDF to the supplier.
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    # With the supplier: goods arrive in one delivery or several; or the order is called off.
    S.SENT: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CANCELLED}),
    # Some arrived. Received: everything came, or the rest will not come and the order is closed short.
    # Cancelled: the rest is called off (what arrived stays in stock).
    S.PARTIALLY_RECEIVED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses whose missing units count as `incoming` stock.
OPEN = frozenset({S.SENT, S.PARTIALLY_RECEIVED})
RECEIVABLE = OPEN
EDITABLE = frozenset({S.DRAFT})


def can_transition(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def allowed_next(current: str) -> list[str]:
    targets = TRANSITIONS.get(current, frozenset())
    return [status.value for status in PurchaseOrderStatus if status in targets]


def is_open(status: str) -> bool:
    return status in OPEN


# --- MOQ and pack size ------------------------------------------------------------------------------


def round_order_quantity(quantity: int, *, moq: int = 1, pack_size: int = 1) -> int:
    """What to order for a need of `quantity`: at least the minimum order quantity, then up to a whole
    number of packs. Nothing needed → 0. (MOQ 10, pack 6: a need of 3 → 12; of 13 → 18.)"""
    if quantity <= 0:
        return 0
    moq = max(moq, 1)
    pack_size = max(pack_size, 1)
    wanted = max(quantity, moq)
    return math.ceil(wanted / pack_size) * pack_size


# --- The reorder computation ------------------------------------------------------------------------

BACKORDERS_ONLY = "backorders"


@dataclass(frozen=True)
class ReorderInputs:
    """Everything the computation reads, as shown on the replenishment page."""

    method: str  # ReorderMethod, or BACKORDERS_ONLY for a variant without a rule that has backorders
    available: int  # on hand − reserved, in this warehouse
    incoming: int  # still to come on sent purchase orders
    on_draft: int  # on draft purchase orders (not sent yet)
    backordered: int  # units of open orders waiting for stock, counted against this warehouse
    min_quantity: int | None = None
    max_quantity: int | None = None
    sold_units: int = 0  # net units reserved from this warehouse in the sales window
    velocity_days: int = 28
    lead_time_days: int = 0
    safety_stock: int = 0
    review_days: int = 0
    moq: int = 1
    pack_size: int = 1


@dataclass(frozen=True)
class ReorderAdvice:
    velocity: Decimal  # units per day
    position: int  # available + incoming + on draft − backordered
    trigger: int  # reorder when the position is at or below this (reorder point or minimum)
    target: int  # order up to this
    needed: bool
    raw_quantity: int  # target − position, before rounding
    quantity: int  # rounded to MOQ and pack size

    @property
    def reorder_point(self) -> int:
        return self.trigger


def sales_velocity(sold_units: int, days: int) -> Decimal:
    """Units per day over the window (never negative), to 3 decimals."""
    if days <= 0:
        return Decimal("0")
    return (Decimal(max(sold_units, 0)) / Decimal(days)).quantize(Decimal("0.001"))


def reorder_point(*, velocity: Decimal, lead_time_days: int, safety_stock: int) -> int:
    """Units expected to sell while an order is on its way, plus the safety stock:
    ROP = ⌈velocity × lead time⌉ + safety stock."""
    return math.ceil(velocity * lead_time_days) + safety_stock


def stock_position(inputs: ReorderInputs) -> int:
    return inputs.available + inputs.incoming + inputs.on_draft - inputs.backordered


def advise(inputs: ReorderInputs) -> ReorderAdvice:
    """Whether to reorder and how much (docs/purchasing.md has the formula with an example)."""
    position = stock_position(inputs)
    velocity = sales_velocity(inputs.sold_units, inputs.velocity_days)
    if inputs.method == ReorderMethod.MIN_MAX:
        trigger = inputs.min_quantity or 0
        target = max(inputs.max_quantity or 0, trigger)
    elif inputs.method == ReorderMethod.REORDER_POINT:
        trigger = reorder_point(
            velocity=velocity, lead_time_days=inputs.lead_time_days, safety_stock=inputs.safety_stock
        )
        target = trigger + math.ceil(velocity * inputs.review_days)
    else:  # backorders only: bring the position back to zero
        trigger = -1
        target = 0
    needed = position <= trigger
    raw = max(target - position, 0) if needed else 0
    if needed and raw == 0:
        raw = 1  # at the trigger with target == trigger: one more unit lifts it above
    return ReorderAdvice(
        velocity=velocity,
        position=position,
        trigger=trigger,
        target=target,
        needed=needed,
        raw_quantity=raw,
        quantity=round_order_quantity(raw, moq=inputs.moq, pack_size=inputs.pack_size),
    )


# --- Receipts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineCounts:
    ordered: int
    received: int


@dataclass(frozen=True)
class ReceiptEffect:
    incoming_cleared: int  # the part of the delivery open orders had announced
    over: int  # units beyond what was ordered


def receipt_effect(*, ordered: int, received_before: int, quantity: int) -> ReceiptEffect:
    """What receiving `quantity` more of a line means: how much of `incoming` it clears, and how many
    units of it are an over-delivery."""
    remaining = max(ordered - received_before, 0)
    cleared = min(quantity, remaining)
    return ReceiptEffect(incoming_cleared=cleared, over=quantity - cleared)


def status_after_receipt(lines: Sequence[LineCounts]) -> str:
    """Every line arrived in full (or more) → received; otherwise partially received."""
    if all(line.received >= line.ordered for line in lines):
        return S.RECEIVED
    return S.PARTIALLY_RECEIVED


def shortfalls(lines: Sequence[tuple[str, LineCounts]]) -> list[dict[str, int | str]]:
    """Under-deliveries when a purchase order is closed or cancelled: (sku, counts) → what is missing."""
    return [
        {"sku": sku, "ordered": c.ordered, "received": c.received, "short": c.ordered - c.received}
        for sku, c in lines
        if c.received < c.ordered
    ]


# --- Supplier price lists (CSV) ---------------------------------------------------------------------

PRICE_LIST_COLUMNS = {
    "sku": ("sku", "our_sku", "variant"),
    "price": ("price", "unit_price", "cost"),
    "currency": ("currency", "ccy"),
    "supplier_sku": ("supplier_sku", "their_sku", "vendor_sku", "item_code"),
    "min_order_quantity": ("min_order_quantity", "moq", "minimum"),
    "pack_size": ("pack_size", "pack", "case_size"),
    "lead_time_days": ("lead_time_days", "lead_time", "lead_days"),
    "preferred": ("preferred", "is_preferred"),
}
PRICE_LIST_REQUIRED = ("sku", "price")
MAX_PRICE_LIST_ROWS = 20_000

_TRUE = {"1", "yes", "true", "y", "x", "preferred"}
_FALSE = {"", "0", "no", "false", "n"}


class PriceListError(ValueError):
    """The file as a whole cannot be read (no header, a required column missing)."""

    def __init__(self, code: str, columns: Sequence[str] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.columns = list(columns)


@dataclass(frozen=True)
class PriceListRow:
    line: int
    sku: str
    price: Decimal | None
    currency: str
    supplier_sku: str = ""
    min_order_quantity: int | None = None
    pack_size: int | None = None
    lead_time_days: int | None = None
    preferred: bool | None = None
    # column → error code (bad_price, bad_integer, bad_boolean, required)
    errors: dict[str, str] = field(default_factory=dict)


def _decimal(raw: str) -> Decimal | None:
    text = raw.replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".") if "," in text and "." not in text else text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _positive_int(raw: str) -> int | None:
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if 0 <= value <= 1_000_000 else None


def parse_price_list(content: str, *, default_currency: str) -> list[PriceListRow]:
    """Rows of a price list (`,`, `;` or tab separated, a header row). `sku` and `price` are required;
    `currency` defaults to the supplier's; MOQ, pack size, lead time and preferred are optional
    (empty: the supplier's default). Raises PriceListError for a file that cannot be read at all."""
    text = content.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise PriceListError("empty")
    header = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in rows[0]]
    index: dict[str, int] = {}
    for name, aliases in PRICE_LIST_COLUMNS.items():
        for alias in aliases:
            if alias in header:
                index[name] = header.index(alias)
                break
    missing = [name for name in PRICE_LIST_REQUIRED if name not in index]
    if missing:
        raise PriceListError("missing_columns", missing)
    if len(rows) - 1 > MAX_PRICE_LIST_ROWS:
        raise PriceListError("too_many_rows")

    def cell(row: list[str], name: str) -> str:
        position = index.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    parsed: list[PriceListRow] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in row):
            continue
        errors: dict[str, str] = {}
        sku = cell(row, "sku")
        if not sku:
            errors["sku"] = "required"
        raw_price = cell(row, "price")
        price = _decimal(raw_price) if raw_price else None
        if price is None:
            errors["price"] = "bad_price" if raw_price else "required"
        integers: dict[str, int | None] = {}
        for name in ("min_order_quantity", "pack_size", "lead_time_days"):
            raw = cell(row, name)
            value = _positive_int(raw) if raw else None
            if (raw and value is None) or (value == 0 and name != "lead_time_days"):
                errors[name] = "bad_integer"
            integers[name] = value
        raw_preferred = cell(row, "preferred").lower()
        preferred: bool | None = None
        if "preferred" in index:
            if raw_preferred in _TRUE:
                preferred = True
            elif raw_preferred in _FALSE:
                preferred = None if raw_preferred == "" else False
            else:
                errors["preferred"] = "bad_boolean"
        parsed.append(
            PriceListRow(
                line=number,
                sku=sku,
                price=price,
                currency=(cell(row, "currency") or default_currency).upper(),
                supplier_sku=cell(row, "supplier_sku")[:64],
                min_order_quantity=integers["min_order_quantity"],
                pack_size=integers["pack_size"],
                lead_time_days=integers["lead_time_days"],
                preferred=preferred,
                errors=errors,
            )
        )
    return parsed
