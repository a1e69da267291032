"""Pure rules of returns: the window and the legal minimum, who may return what, the RMA transition
table, refund arithmetic (the coupon's share, partial quantities, delivery and return shipping per
policy), the refund SLA and default dispositions. No ORM here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import get_currency_precision
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from stdnum import iban as stdnum_iban

from .models import (
    ConditionGrade,
    DeliveryRefund,
    Disposition,
    ReturnMethod,
    ReturnReason,
    ReturnStatus,
    ShippingPaidBy,
)

ZERO = Decimal("0")
S = ReturnStatus

# --- Policy --------------------------------------------------------------------------------------------

CONDITIONS: dict[str, Any] = {
    "unused": _("Items are unused and in the condition you received them."),
    "original_packaging": _("Items are in their original packaging."),
    "tags_attached": _("Labels and tags are still attached."),
    "proof_of_purchase": _("The order number or receipt comes with the return."),
}
CUSTOMER_METHODS = (ReturnMethod.DROP_OFF, ReturnMethod.COURIER_PICKUP, ReturnMethod.POST)
CUSTOMER_REASONS = tuple(r for r in ReturnReason if r != ReturnReason.REFUSED)
# The shop's fault: the customer never pays the return shipping for these.
SHOP_FAULT_REASONS = frozenset(
    {ReturnReason.DAMAGED, ReturnReason.NOT_AS_DESCRIBED, ReturnReason.WRONG_ITEM, ReturnReason.REFUSED}
)
REFUND_DUE_MIN, REFUND_DUE_MAX = 7, 14
DEFAULT_LEGAL_MINIMUM = 14


def legal_minimum(country: str, minimums: Mapping[str, Any]) -> int:
    """The legal minimum return window of a country (`"*"`/`"default"` for the rest), in days."""
    code = (country or "").upper()
    for key in (code, "*", "default"):
        if key and key in minimums:
            return int(minimums[key])
    return DEFAULT_LEGAL_MINIMUM


def effective_window(window_days: int, minimum: int) -> int:
    """The window a customer gets: the policy's, but never less than the law's."""
    return max(int(window_days), int(minimum))


def policy_errors(
    *,
    window_days: int,
    minimum: int,
    refund_due_days: int,
    conditions: Sequence[str],
    methods: Sequence[str],
    fee: Decimal,
    shipping_paid_by: str,
    refund_delivery: str,
) -> dict[str, str]:
    """Field → message for every rule a policy breaks (empty: valid)."""
    errors: dict[str, str] = {}
    if window_days < minimum:
        errors["window_days"] = str(
            ngettext(
                "The law requires at least %(days)s day in this country.",
                "The law requires at least %(days)s days in this country.",
                minimum,
            )
            % {"days": minimum}
        )
    if not REFUND_DUE_MIN <= refund_due_days <= REFUND_DUE_MAX:
        errors["refund_due_days"] = str(
            ngettext(
                "Between %(low)s and %(high)s day.", "Between %(low)s and %(high)s days.", REFUND_DUE_MAX
            )
            % {"low": REFUND_DUE_MIN, "high": REFUND_DUE_MAX}
        )
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        errors["conditions"] = str(_("Unknown condition: %(code)s.") % {"code": unknown[0]})
    if not methods:
        errors["methods"] = str(_("Offer at least one return method."))
    elif any(m not in CUSTOMER_METHODS for m in methods):
        errors["methods"] = str(_("Unknown return method."))
    if fee < 0:
        errors["return_shipping_fee"] = str(_("Must not be negative."))
    if shipping_paid_by not in ShippingPaidBy.values:
        errors["return_shipping_paid_by"] = str(_("Unknown choice."))
    if refund_delivery not in DeliveryRefund.values:
        errors["refund_delivery"] = str(_("Unknown choice."))
    return errors


@dataclass(frozen=True)
class PolicyTerms:
    """A policy as a value (stored on each return as it was when the return was opened)."""

    country: str
    window_days: int  # already at least the legal minimum
    legal_minimum: int
    conditions: tuple[str, ...] = ()
    non_returnable_category_ids: tuple[int, ...] = ()
    return_shipping_paid_by: str = ShippingPaidBy.SHOP
    return_shipping_fee: str = "0"
    refund_delivery: str = DeliveryRefund.FULL_RETURN
    methods: tuple[str, ...] = CUSTOMER_METHODS
    refund_due_days: int = 14
    auto_approve: bool = True
    notes: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["conditions"] = list(self.conditions)
        data["non_returnable_category_ids"] = list(self.non_returnable_category_ids)
        data["methods"] = list(self.methods)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyTerms:
        values = dict(data)
        for name in ("conditions", "non_returnable_category_ids", "methods"):
            values[name] = tuple(values.get(name) or ())
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def fee(self) -> Decimal:
        return Decimal(str(self.return_shipping_fee or "0"))


# --- Who may return what --------------------------------------------------------------------------------

# Order statuses a return can be opened from (delivered; or already in / partly past a return, for the
# units not returned yet). Not `returned`: every unit is back. Refused orders come back through
# `return_open_for_refused`.
RETURNABLE_ORDER_STATUSES = frozenset({"delivered", "return_requested", "partially_returned", "completed"})


def last_return_day(delivered_on: date, window_days: int) -> date:
    """The last day a return may be requested: the window counts calendar days from the delivery day."""
    return delivered_on + timedelta(days=window_days)


def request_refusal(
    *, order_status: str, delivered_on: date | None, today: date, window_days: int
) -> str | None:
    """Why the order cannot be returned at all (a stable code), or None."""
    if order_status == "returned":
        return "order_fully_returned"
    if order_status not in RETURNABLE_ORDER_STATUSES or delivered_on is None:
        return "order_not_delivered"
    if today > last_return_day(delivered_on, window_days):
        return "return_window_closed"
    return None


def line_refusal(
    *, category_id: int | None, non_returnable: Sequence[int], returnable: int, requested: int
) -> str | None:
    """Why a line cannot be returned in this quantity (a stable code), or None."""
    if requested < 1:
        return "invalid_quantity"
    if category_id is not None and category_id in set(non_returnable):
        return "not_returnable"
    if requested > returnable:
        return "quantity_exceeds_returnable"
    return None


# --- The RMA's status machine -------------------------------------------------------------------------

RETURN_TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.REJECTED, S.CLOSED}),
    # Approved: the label or instructions went out. Dropped at the shop, or scanned at the warehouse
    # without carrier news, it is received straight away.
    S.APPROVED: frozenset({S.IN_TRANSIT, S.RECEIVED, S.CLOSED}),
    S.IN_TRANSIT: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    # Inspected: the money goes back, a replacement goes out, or nothing is owed (closed).
    S.INSPECTED: frozenset({S.REFUND_PENDING, S.EXCHANGED, S.CLOSED}),
    # Refunded once the money moved: the provider confirmed the card refund, or staff the bank transfer.
    S.REFUND_PENDING: frozenset({S.REFUNDED}),
    S.REJECTED: frozenset(),
    S.REFUNDED: frozenset(),
    S.EXCHANGED: frozenset(),
    S.CLOSED: frozenset(),
}
FINAL = frozenset(s for s, targets in RETURN_TRANSITIONS.items() if not targets)
OPEN = frozenset(RETURN_TRANSITIONS) - FINAL
# Units of returns in these statuses count as "being returned" (they cannot be requested again).
HOLDING_UNITS = frozenset(RETURN_TRANSITIONS) - {S.REJECTED}
# Closed before the parcel arrived: its units are free again.
RELEASED_WHEN_CLOSED_FROM = frozenset({S.REQUESTED, S.APPROVED})


def can_move(current: str, to: str) -> bool:
    return to in RETURN_TRANSITIONS.get(current, frozenset())


def allowed_next(current: str) -> list[str]:
    targets = RETURN_TRANSITIONS.get(current, frozenset())
    return [s.value for s in ReturnStatus if s in targets]


def order_status_after_returns(*, ordered: Mapping[int, int], back: Mapping[int, int]) -> str:
    """Where an order goes when its last open return ended: `returned` when every unit of every line
    (`ordered`: line id → units; free gifts left out by the caller) is back and settled, `partially_returned`
    when some are, `completed` when none are (the returns were rejected or withdrawn)."""
    if not any(back.get(line_id, 0) > 0 for line_id in ordered):
        return "completed"
    if all(back.get(line_id, 0) >= units for line_id, units in ordered.items()):
        return "returned"
    return "partially_returned"


def rma_number(order_number: str, n: int) -> str:
    """`1042` and the order's second return → `R1042-2`."""
    return f"R{order_number}-{n}"


# --- Inspection -----------------------------------------------------------------------------------------

DEFAULT_DISPOSITION = {
    ConditionGrade.AS_NEW: Disposition.RESTOCK,
    ConditionGrade.GOOD: Disposition.RESTOCK,
    ConditionGrade.DAMAGED: Disposition.QUARANTINE,
    ConditionGrade.MISSING: Disposition.NONE,
}
ALLOWED_DISPOSITIONS = {
    ConditionGrade.AS_NEW: frozenset({Disposition.RESTOCK, Disposition.QUARANTINE, Disposition.WRITE_OFF}),
    ConditionGrade.GOOD: frozenset({Disposition.RESTOCK, Disposition.QUARANTINE, Disposition.WRITE_OFF}),
    # Damaged goods never go back to available stock.
    ConditionGrade.DAMAGED: frozenset({Disposition.QUARANTINE, Disposition.WRITE_OFF}),
    ConditionGrade.MISSING: frozenset({Disposition.NONE}),
}


def disposition_error(grade: str, disposition: str) -> str | None:
    if grade not in ALLOWED_DISPOSITIONS:
        return "unknown_grade"
    if disposition not in ALLOWED_DISPOSITIONS[grade]:  # type: ignore[index]
        return "disposition_not_allowed"
    return None


def refunds_by_default(grade: str) -> bool:
    """Units that did not arrive are not refunded; everything received is, unless the inspector says no."""
    return grade != ConditionGrade.MISSING


# --- Refund arithmetic ------------------------------------------------------------------------------------


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-get_currency_precision(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PaidLine:
    line_id: int
    unit_price: Decimal
    quantity: int


def line_net_amounts(lines: Sequence[PaidLine], *, discount: Decimal, currency: str) -> dict[int, Decimal]:
    """What the customer paid for each line: its total less its share of the coupon discount, shared in
    proportion to the line totals (the last line with a total takes the rounding remainder, so the
    shares add up to the discount exactly)."""
    totals = {line.line_id: line.unit_price * line.quantity for line in lines}
    subtotal = sum(totals.values(), ZERO)
    if discount <= 0 or subtotal <= 0:
        return {line_id: quantize(total, currency) for line_id, total in totals.items()}
    discount = min(discount, subtotal)
    shares: dict[int, Decimal] = {}
    left = discount
    paying = [line.line_id for line in lines if totals[line.line_id] > 0]
    for line_id in paying[:-1]:
        share = quantize(discount * totals[line_id] / subtotal, currency)
        shares[line_id] = share
        left -= share
    if paying:
        shares[paying[-1]] = left
    return {
        line_id: quantize(total - shares.get(line_id, ZERO), currency) for line_id, total in totals.items()
    }


def units_amount(
    *, line_net: Decimal, line_quantity: int, before: int, quantity: int, currency: str
) -> Decimal:
    """What `quantity` units of a line are worth after `before` of its units were refunded already.

    Counted cumulatively (the value of before+quantity units less the value of `before` units), so the
    parts of a line refunded over several returns add up to the line's net amount, never a cent more."""
    if quantity <= 0 or line_quantity <= 0:
        return ZERO
    upto = min(before + quantity, line_quantity)
    value_after = quantize(line_net * upto / line_quantity, currency)
    value_before = quantize(line_net * min(before, line_quantity) / line_quantity, currency)
    return value_after - value_before


@dataclass(frozen=True)
class RefundQuote:
    currency: str
    goods: Decimal
    delivery: Decimal
    fee: Decimal
    deduction: Decimal
    cap: Decimal  # what the order's payments can still give back

    @property
    def due(self) -> Decimal:
        """goods + delivery − return shipping fee − deduction, never below zero nor above the cap."""
        return max(min(self.goods + self.delivery - self.fee - self.deduction, self.cap), ZERO)

    @property
    def before_deduction(self) -> Decimal:
        return max(min(self.goods + self.delivery - self.fee, self.cap), ZERO)


def delivery_refund(
    *, rule: str, delivery_amount: Decimal, already_refunded: bool, order_fully_returned: bool
) -> Decimal:
    """The original delivery charge goes back once: with every return (`always`), when this return
    completes the order's return (`full_return`), or never."""
    if already_refunded or delivery_amount <= 0:
        return ZERO
    if rule == DeliveryRefund.ALWAYS or (rule == DeliveryRefund.FULL_RETURN and order_fully_returned):
        return delivery_amount
    return ZERO


def return_shipping_fee(*, terms: PolicyTerms, reasons: Sequence[str], method: str) -> Decimal:
    """Taken off the refund when the customer pays the return shipping — unless the shop is at fault
    (damaged, not as described, wrong item, refused) or the carrier brings the parcel back."""
    if terms.return_shipping_paid_by != ShippingPaidBy.CUSTOMER:
        return ZERO
    if method == ReturnMethod.CARRIER_RETURN or any(r in SHOP_FAULT_REASONS for r in reasons):
        return ZERO
    return terms.fee


def refund_quote(
    *,
    currency: str,
    goods: Decimal,
    delivery: Decimal,
    fee: Decimal,
    deduction: Decimal,
    cap: Decimal,
) -> RefundQuote:
    return RefundQuote(
        currency=currency,
        goods=quantize(goods, currency),
        delivery=quantize(delivery, currency),
        fee=quantize(min(fee, goods + delivery), currency),
        deduction=quantize(deduction, currency),
        cap=quantize(max(cap, ZERO), currency),
    )


def exchange_delivery_free(*, terms: PolicyTerms, reasons: Sequence[str], method: str) -> bool:
    """The replacement of an exchange is delivered free whenever the customer does not pay the return
    shipping: the shop pays it by policy, the shop is at fault, or the carrier brought the parcel back."""
    return (
        terms.return_shipping_paid_by != ShippingPaidBy.CUSTOMER
        or method == ReturnMethod.CARRIER_RETURN
        or any(r in SHOP_FAULT_REASONS for r in reasons)
    )


@dataclass(frozen=True)
class ExchangeSplit:
    credit: Decimal  # paid on the replacement order from the returned goods' value
    refund: Decimal  # what is left of that value, paid back
    due: Decimal  # what the replacement costs beyond the value (the customer pays it)


def exchange_split(*, value: Decimal, replacement_total: Decimal) -> ExchangeSplit:
    credit = min(value, replacement_total)
    return ExchangeSplit(credit=credit, refund=value - credit, due=replacement_total - credit)


# --- SLA ------------------------------------------------------------------------------------------------


def refund_due_at(received_at: datetime, days: int) -> datetime:
    return received_at + timedelta(days=max(REFUND_DUE_MIN, min(REFUND_DUE_MAX, int(days))))


def refund_overdue(*, due_at: datetime | None, now: datetime, refunded: bool) -> bool:
    return due_at is not None and not refunded and now > due_at


# --- Bank details for refunds by transfer ----------------------------------------------------------------


def clean_iban(raw: str) -> str:
    """The IBAN in its compact form; raises ValueError when it is not a valid IBAN."""
    compact = stdnum_iban.compact(raw or "")
    if not compact or not stdnum_iban.is_valid(compact):
        raise ValueError("invalid IBAN")
    return compact


IBAN_EXAMPLES = {
    "UA": "UA21 3223 1300 0002 6007 2335 6600 1",
    "SE": "SE45 5000 0000 0583 9825 7466",
    "PL": "PL61 1090 1014 0000 0712 1981 2874",
    "DE": "DE89 3704 0044 0532 0130 00",
}


def iban_example(country: str) -> str:
    """A valid IBAN of the customer's country to show how one looks (Ukraine's for other countries)."""
    return IBAN_EXAMPLES.get((country or "").upper(), IBAN_EXAMPLES["UA"])


def masked_iban(iban: str) -> str:
    """For events and messages: the country and the last four characters (`SE…7466`)."""
    return f"{iban[:2]}…{iban[-4:]}" if len(iban) > 6 else iban


def format_iban(iban: str) -> str:
    """Grouped by four for reading (`SE45 5000 0000 …`)."""
    return stdnum_iban.format(iban) if iban else ""
