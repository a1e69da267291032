"""Writes of promotions. Redeeming runs inside the placing order's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError, normalize_currency

from . import domain
from .errors import CouponInvalid
from .models import Coupon, CouponKind, CouponRedemption
from .selectors import coupon_evaluate, customer_key


@dataclass(frozen=True)
class CouponClaim:
    coupon: Coupon
    code: str
    discount: Money
    customer_key: str


def coupon_claim(*, code: str, subtotal: Money, email: str = "", phone: str = "") -> CouponClaim:
    """Take one use of the coupon for an order being placed (call inside its transaction) and return
    the discount; `coupon_claim_record` then ties it to the order row.

    The coupon row is locked, so two orders racing for its last use cannot both get it. Refused with
    CouponInvalid (422, `details.coupon_code` the message, `details.reason` the code); the caller's
    transaction then rolls back and the order is not written.
    """
    normalized = domain.normalize_code(code)
    coupon = Coupon.objects.select_for_update().filter(code=normalized).first() if normalized else None
    key = customer_key(email=email, phone=phone)
    quote = coupon_evaluate(coupon, code=normalized, subtotal=subtotal, key=key, now=timezone.now())
    if coupon is None or quote.discount is None:
        raise CouponInvalid(quote.message, details={"coupon_code": quote.message, "reason": quote.problem})
    Coupon.objects.filter(pk=coupon.pk).update(uses=F("uses") + 1)
    return CouponClaim(coupon=coupon, code=normalized, discount=quote.discount, customer_key=key)


def coupon_claim_record(claim: CouponClaim, *, order: Any) -> CouponRedemption:
    return CouponRedemption.objects.create(
        coupon=claim.coupon,
        order=order,
        kind=claim.coupon.kind,
        value=claim.coupon.value,
        amount=claim.discount.amount,
        currency=claim.discount.currency,
        customer_key=claim.customer_key,
    )


def coupon_release(*, order_id: int) -> bool:
    """Give a cancelled order's coupon use back. Returns whether there was one."""
    with transaction.atomic():
        redemption = CouponRedemption.objects.select_for_update().filter(order_id=order_id).first()
        if redemption is None:
            return False
        Coupon.objects.filter(pk=redemption.coupon_id, uses__gt=0).update(uses=F("uses") - 1)
        redemption.delete()
        return True


def redemption_discount(*, order_id: int, subtotal: Money) -> Money | None:
    """The discount an edited order gets under the terms it redeemed (None: no coupon on it)."""
    redemption = CouponRedemption.objects.filter(order_id=order_id).first()
    if redemption is None:
        return None
    discount = domain.discount_for(kind=redemption.kind, value=redemption.value, subtotal=subtotal)
    if discount.amount != redemption.amount:
        CouponRedemption.objects.filter(pk=redemption.pk).update(amount=discount.amount)
    return discount


def coupon_create(
    *,
    code: str,
    kind: str,
    value: object,
    currency: str = "",
    min_subtotal: object = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    max_uses: int | None = None,
    max_uses_per_customer: int | None = None,
) -> Coupon:
    errors: dict[str, str] = {}
    normalized = domain.normalize_code(code)
    if not normalized:
        errors["code"] = _("This field is required.")
    elif Coupon.objects.filter(code=normalized).exists():
        errors["code"] = _("A coupon with this code already exists.")
    if kind not in CouponKind.values:
        errors["kind"] = _("Choose percent or fixed.")
    amount = Decimal(0)
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or amount <= 0:
            errors["value"] = _("Must be more than zero.")
        elif kind == CouponKind.PERCENT and amount > 100:
            errors["value"] = _("At most 100 percent.")
    except ArithmeticError:
        errors["value"] = _("Not a number.")
    if kind == CouponKind.FIXED:
        try:
            currency = normalize_currency(currency)
        except MoneyError:
            errors["currency"] = _("Not an ISO 4217 currency code.")
    else:
        currency = ""
    if valid_from and valid_until and valid_until <= valid_from:
        errors["valid_until"] = _("Must be later than the start.")
    if errors:
        raise InvalidInput(details=errors)
    return Coupon.objects.create(
        code=normalized,
        kind=kind,
        value=amount,
        currency=currency,
        min_subtotal=Decimal(str(min_subtotal)) if min_subtotal not in (None, "") else None,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=max_uses,
        max_uses_per_customer=max_uses_per_customer,
    )
