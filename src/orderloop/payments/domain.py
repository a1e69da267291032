"""Pure rules of payments: the payment state, what is due, refund split, how the order's status follows,
payment references and invoice numbers, and reading a bank statement. No ORM here."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from orderloop.orders import domain as order_domain
from orderloop.orders.models import OrderStatus, PaymentKind

from .models import PaymentState, PaymentStatus, RefundStatus

ZERO = Decimal("0")
S = OrderStatus

# --- Money in the provider's smallest unit --------------------------------------------------------------


def to_minor_units(amount: Decimal, currency: str) -> int:
    """129.90 UAH → 12990; JPY (no decimals) 500 → 500. The precision is Babel's (ISO 4217), the same one
    core.money.Money uses. (Stripe agrees for UAH, SEK, EUR, USD; a few currencies such as HUF and TWD
    are special at Stripe and are not offered here.)"""
    digits = get_currency_precision(currency)
    return int((amount * (Decimal(10) ** digits)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor_units(value: int, currency: str) -> Decimal:
    digits = get_currency_precision(currency)
    return (Decimal(value) / (Decimal(10) ** digits)).quantize(Decimal(1).scaleb(-digits))


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-get_currency_precision(currency)), rounding=ROUND_HALF_UP)


# --- Payment rows: their own little machine -------------------------------------------------------------

P = PaymentStatus
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.PENDING: frozenset({P.AUTHORIZED, P.CAPTURED, P.FAILED, P.CANCELLED}),
    P.AUTHORIZED: frozenset({P.CAPTURED, P.FAILED, P.CANCELLED}),
    # A declined card leaves the intent open: the customer may try another card on the same intent.
    P.FAILED: frozenset({P.AUTHORIZED, P.CAPTURED, P.CANCELLED}),
    P.CAPTURED: frozenset(),
    P.CANCELLED: frozenset(),
}


def payment_can_move(current: str, to: str) -> bool:
    return to == current or to in PAYMENT_TRANSITIONS.get(current, frozenset())


R = RefundStatus
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.PROCESSING, R.SUCCEEDED, R.CANCELLED}),
    R.PROCESSING: frozenset({R.SUCCEEDED, R.FAILED}),
    R.FAILED: frozenset({R.PROCESSING, R.CANCELLED}),
    R.SUCCEEDED: frozenset(),
    R.CANCELLED: frozenset(),
}

# Refunds that hold money back from what may still be refunded.
OPEN_OR_DONE_REFUNDS = frozenset({R.PENDING, R.PROCESSING, R.SUCCEEDED})


def refund_can_move(current: str, to: str) -> bool:
    return to in REFUND_TRANSITIONS.get(current, frozenset())


# --- The order's payment state --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sums:
    total: Decimal  # the order's total
    authorized: Decimal = ZERO  # authorized, not yet captured
    captured: Decimal = ZERO
    refunded: Decimal = ZERO  # refunds that succeeded

    @property
    def net_paid(self) -> Decimal:
        return self.captured - self.refunded

    @property
    def outstanding(self) -> Decimal:
        return max(self.total - self.net_paid, ZERO)


def payment_state(sums: Sums) -> str:
    """unpaid → authorized → partially_paid → paid; partially_refunded / refunded once money went back."""
    if sums.refunded > 0:
        return PaymentState.REFUNDED if sums.net_paid <= 0 else PaymentState.PARTIALLY_REFUNDED
    if sums.captured > 0:
        return PaymentState.PAID if sums.captured >= sums.total else PaymentState.PARTIALLY_PAID
    if sums.authorized > 0:
        return PaymentState.AUTHORIZED
    return PaymentState.PAID if sums.total <= 0 else PaymentState.UNPAID


def prepayment_amount(*, total: Decimal, currency: str, share: str | Decimal, fixed: str | None) -> Decimal:
    """What a prepayment order pays first: a fixed amount (capped at the total) or a share of the total."""
    if fixed not in (None, ""):
        return quantize(min(Decimal(str(fixed)), total), currency)
    return quantize(total * Decimal(str(share)), currency)


def amount_due_now(*, kind: str, sums: Sums, prepayment: Decimal) -> Decimal:
    """What the customer should pay before delivery (card or transfer). Cash on delivery: nothing now;
    prepayment: the prepayment (what is left of it); card and transfer: everything outstanding."""
    if kind == PaymentKind.COD:
        return ZERO
    if kind == PaymentKind.PREPAYMENT:
        return max(min(prepayment, sums.total) - sums.net_paid, ZERO)
    return sums.outstanding


def order_moves(*, order_status: str, state: str, kind: str) -> list[str]:
    """The order statuses to pass through after the payment state changed — only moves the order's
    transition table allows, each one step. Money in full → `paid`; a prepayment → `partially_paid`
    (a new order first becomes `awaiting_payment`, the table's way there). Nothing else moves the order:
    authorized money is not paid, cash on delivery proceeds without payment, and refunds leave the order's
    status to returns and cancellations."""
    target = {
        PaymentState.PAID: S.PAID,
        PaymentState.PARTIALLY_PAID: S.PARTIALLY_PAID,
    }.get(state)  # type: ignore[call-overload]
    if target is None or order_status == target:
        return []
    if target == S.PARTIALLY_PAID and kind == PaymentKind.COD:
        return []  # part of a COD order paid in advance: the order goes on as a COD order
    if order_domain.can_transition(order_status, target):
        return [target]
    if (
        target == S.PARTIALLY_PAID
        and order_domain.can_transition(order_status, S.AWAITING_PAYMENT)
        and order_domain.can_transition(S.AWAITING_PAYMENT, target)
    ):
        return [S.AWAITING_PAYMENT, target]
    return []


# --- Refunds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refundable:
    payment_id: int
    remaining: Decimal
    automatic: bool  # the provider refunds by API (card); others are paid back by bank transfer


def split_refund(amount: Decimal, payments: Sequence[Refundable]) -> list[tuple[int, Decimal]]:
    """Spread a refund over the payments that still hold money: card payments first (refunded by the
    provider), newest first. Raises ValueError when they hold less than `amount`."""
    ordered = sorted(payments, key=lambda p: (not p.automatic, -p.payment_id))
    if amount <= 0:
        raise ValueError("the refund must be positive")
    if sum((p.remaining for p in ordered), ZERO) < amount:
        raise ValueError("more than was paid")
    parts: list[tuple[int, Decimal]] = []
    left = amount
    for payment in ordered:
        if left <= 0:
            break
        take = min(payment.remaining, left)
        if take > 0:
            parts.append((payment.payment_id, take))
            left -= take
    return parts


@dataclass(frozen=True)
class Difference:
    due: Decimal = ZERO  # the customer owes this (a payment request)
    refund: Decimal = ZERO  # the shop owes this (a refund staff confirm)


def difference_after_edit(
    *, kind: str, total: Decimal, net_paid: Decimal, refunds_open: Decimal, prepayment: Decimal
) -> Difference:
    """After an edit: more paid than the new total → a refund; less → an amount due with a payment link.
    Cash on delivery collects the rest at the door (nothing due now), as does a prepayment order whose
    prepayment is covered."""
    kept = net_paid - refunds_open  # pending refunds already go back to the customer
    if kept > total:
        return Difference(refund=kept - total)
    if net_paid <= 0 or kind == PaymentKind.COD:
        return Difference()
    if kind == PaymentKind.PREPAYMENT:
        return Difference(due=max(min(prepayment, total) - kept, ZERO))
    return Difference(due=total - kept)


# --- Payment references (ISO 11649 "RF" creditor references) ---------------------------------------------

REFERENCE_PATTERN = re.compile(r"RF\s?\d\d(?:\s?[0-9A-Z]){1,21}", re.IGNORECASE)


def payment_reference(order_number: str) -> str:
    """`RF` + two check digits + the order number: `1001` → `RF401001`. Banks in the EU and many
    elsewhere validate it; a typo in the check digits or the number is caught."""
    body = re.sub(r"[^0-9A-Z]", "", order_number.upper())
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def reference_order_number(reference: str) -> str | None:
    compact = re.sub(r"\s", "", reference).upper()
    return compact[4:] if iso11649.is_valid(compact) else None


def find_references(text: str) -> list[str]:
    """Valid RF references in free text (the bank's "details" column), in order, without spaces."""
    found: list[str] = []
    for match in REFERENCE_PATTERN.finditer(text or ""):
        compact = re.sub(r"\s", "", match.group(0)).upper()
        # The greedy match may have swallowed the next word: take the longest valid prefix.
        for end in range(len(compact), 5, -1):
            if iso11649.is_valid(compact[:end]):
                found.append(compact[:end])
                break
    return found


def invoice_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


# --- Bank statements ----------------------------------------------------------------------------------


class StatementError(ValueError):
    pass


@dataclass(frozen=True)
class StatementRow:
    line: int
    transaction_id: str
    booked: date | None
    amount: Decimal | None
    currency: str
    text: str
    error: str = ""


COLUMN_NAMES = {
    "date": ("date", "booking_date", "booked", "value_date"),
    "amount": ("amount", "credit", "sum"),
    "currency": ("currency", "ccy"),
    "reference": ("reference", "payment_reference", "details", "description", "purpose", "remittance"),
    "id": ("id", "transaction_id", "bank_reference", "transaction"),
}
REQUIRED_COLUMNS = ("amount", "reference")


def _amount(raw: str) -> Decimal | None:
    text = raw.replace("\u00a0", "").replace(" ", "").replace("'", "")
    # "1 234,50" (decimal comma) or "1,234.50" (thousands comma)
    text = text.replace(",", ".") if "," in text and "." not in text else text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(raw: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_statement(content: str) -> list[StatementRow]:
    """Rows of a bank statement CSV (`,`, `;` or tab separated; a header row naming the columns).

    Needs an amount and a reference/details column; date, currency and the bank's transaction id are
    read when present. Without an id, a row's id is a hash of its content, so importing the same file
    twice records nothing twice.
    """
    text = content.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise StatementError("empty")
    header = [cell.strip().lower().replace(" ", "_") for cell in rows[0]]
    index: dict[str, int] = {}
    for name, aliases in COLUMN_NAMES.items():
        for alias in aliases:
            if alias in header:
                index[name] = header.index(alias)
                break
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise StatementError(", ".join(missing))

    def cell(row: list[str], name: str) -> str:
        position = index.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    parsed: list[StatementRow] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in row):
            continue
        raw_amount = cell(row, "amount")
        amount = _amount(raw_amount)
        raw_date = cell(row, "date")
        transaction_id = cell(row, "id") or (
            "sha256:" + hashlib.sha256(delimiter.join(row).encode()).hexdigest()[:32]
        )
        parsed.append(
            StatementRow(
                line=number,
                transaction_id=transaction_id[:255],
                booked=_date(raw_date) if raw_date else None,
                amount=amount,
                currency=cell(row, "currency").upper(),
                text=cell(row, "reference"),
                error="" if amount is not None else "bad_amount",
            )
        )
    return parsed
