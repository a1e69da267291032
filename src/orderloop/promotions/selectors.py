"""Reads of promotions: the coupon as a basket would get it now (checkout preview). Never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from orderloop.core.money import Money

from . import domain
from .models import Coupon, CouponRedemption


@dataclass(frozen=True)
class CouponQuote:
    code: str
    discount: Money | None  # None: not usable
    problem: str = ""  # the reason code when not usable
    message: str = ""


def terms_of(coupon: Coupon) -> domain.CouponTerms:
    return domain.CouponTerms(
        kind=coupon.kind,
        value=coupon.value,
        currency=coupon.currency,
        min_subtotal=coupon.min_subtotal,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        max_uses=coupon.max_uses,
        max_uses_per_customer=coupon.max_uses_per_customer,
        uses=coupon.uses,
        is_active=coupon.is_active,
    )


def customer_key(*, email: str = "", phone: str = "") -> str:
    return (email or "").strip().lower() or (phone or "").strip()


def customer_uses(coupon: Coupon, key: str) -> int:
    if not key or coupon.max_uses_per_customer is None:
        return 0
    return CouponRedemption.objects.filter(coupon=coupon, customer_key=key).count()


def coupon_evaluate(
    coupon: Coupon | None, *, code: str, subtotal: Money, key: str, now: datetime
) -> CouponQuote:
    if coupon is None:
        return CouponQuote(
            code=code, discount=None, problem="unknown", message=domain.problem_message("unknown")
        )
    terms = terms_of(coupon)
    problem = domain.coupon_problem(
        terms,
        subtotal=subtotal.amount,
        currency=subtotal.currency,
        now=now,
        customer_uses=customer_uses(coupon, key),
    )
    if problem:
        return CouponQuote(
            code=code,
            discount=None,
            problem=problem,
            message=domain.problem_message(problem, terms, subtotal.currency),
        )
    return CouponQuote(
        code=code, discount=domain.discount_for(kind=coupon.kind, value=coupon.value, subtotal=subtotal)
    )


def coupon_quote(*, code: str, subtotal: Money, email: str = "", phone: str = "") -> CouponQuote:
    """What the coupon would take off this basket now (the checkout shows it before the order is placed)."""
    normalized = domain.normalize_code(code)
    coupon = Coupon.objects.filter(code=normalized).first() if normalized else None
    return coupon_evaluate(
        coupon,
        code=normalized,
        subtotal=subtotal,
        key=customer_key(email=email, phone=phone),
        now=timezone.now(),
    )


def redemption_discount_for(*, order_id: int, subtotal: Money) -> Money | None:
    """The discount an order's redeemed coupon gives on `subtotal`, under the terms it was redeemed with
    (None: no coupon on the order). What an order edit will apply, read without writing (its preview)."""
    redemption = CouponRedemption.objects.filter(order_id=order_id).first()
    if redemption is None:
        return None
    return domain.discount_for(kind=redemption.kind, value=redemption.value, subtotal=subtotal)
