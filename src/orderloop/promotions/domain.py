"""Pure rules of promotions: whether a coupon applies, how much it takes off, the free-gift threshold.
No ORM here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from orderloop.core.money import Money

PERCENT = "percent"
FIXED = "fixed"


def normalize_code(text: str | None) -> str:
    return "".join((text or "").split()).upper()[:40]


@dataclass(frozen=True)
class CouponTerms:
    kind: str
    value: Decimal
    currency: str = ""
    min_subtotal: Decimal | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    uses: int = 0
    is_active: bool = True


def coupon_problem(
    terms: CouponTerms, *, subtotal: Decimal, currency: str, now: datetime, customer_uses: int = 0
) -> str | None:
    """Why the coupon cannot be used for this basket (a stable reason code), or None."""
    if not terms.is_active:
        return "inactive"
    if terms.valid_from is not None and now < terms.valid_from:
        return "not_started"
    if terms.valid_until is not None and now >= terms.valid_until:
        return "expired"
    if terms.max_uses is not None and terms.uses >= terms.max_uses:
        return "used_up"
    if terms.max_uses_per_customer is not None and customer_uses >= terms.max_uses_per_customer:
        return "customer_limit"
    if terms.kind == FIXED and terms.currency != currency:
        return "currency"
    if terms.min_subtotal is not None and subtotal < terms.min_subtotal:
        return "min_subtotal"
    return None


def problem_message(reason: str, terms: CouponTerms | None = None, currency: str = "") -> str:
    if reason == "min_subtotal" and terms is not None and terms.min_subtotal is not None:
        return _("This coupon needs an order of at least %(amount)s.") % {
            "amount": Money.of(terms.min_subtotal, currency).format()
        }
    return {
        "unknown": _("There is no coupon with this code."),
        "inactive": _("This coupon is no longer valid."),
        "not_started": _("This coupon is not valid yet."),
        "expired": _("This coupon has expired."),
        "used_up": _("This coupon has been used up."),
        "customer_limit": _("You have already used this coupon."),
        "currency": _("This coupon is for orders in another currency."),
    }.get(reason, _("This coupon code cannot be used."))


def discount_for(*, kind: str, value: Decimal, subtotal: Money) -> Money:
    """What the coupon takes off the goods: a percentage (rounded to the currency's unit, half up) or a
    fixed amount; never more than the goods cost."""
    if kind == PERCENT:
        raw = (subtotal.amount * value / Decimal(100)).quantize(subtotal.amount, rounding=ROUND_HALF_UP)
    else:
        raw = value
    return Money.of(min(max(raw, Decimal(0)), subtotal.amount), subtotal.currency)


def gift_threshold(thresholds: Mapping[str, object] | None, currency: str) -> Decimal | None:
    """The order value from which the free gift is added, in this currency (None: no gift in it)."""
    if not thresholds or currency not in thresholds:
        return None
    return Decimal(str(thresholds[currency]))


def gift_applies(*, thresholds: Mapping[str, object] | None, goods_total: Money) -> bool:
    threshold = gift_threshold(thresholds, goods_total.currency)
    return threshold is not None and goods_total.amount >= threshold
