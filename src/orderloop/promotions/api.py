"""Coupons API: list and create. Rules in services.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from orderloop.core.api_auth import require_perm

from . import services
from .models import Coupon
from .schemas import CouponIn, CouponOut

router = Router(tags=["promotions"])


def coupon_out(coupon: Coupon) -> CouponOut:
    return CouponOut(
        code=coupon.code,
        kind=coupon.kind,
        value=str(coupon.value),
        currency=coupon.currency,
        min_subtotal=str(coupon.min_subtotal) if coupon.min_subtotal is not None else None,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        max_uses=coupon.max_uses,
        max_uses_per_customer=coupon.max_uses_per_customer,
        uses=coupon.uses,
        is_active=coupon.is_active,
    )


@router.get("", response=list[CouponOut])
def coupon_list(request: HttpRequest) -> list[CouponOut]:
    require_perm(request, "promotions.view_coupon")
    return [coupon_out(coupon) for coupon in Coupon.objects.order_by("code")[:500]]


@router.post("", response={201: CouponOut})
def coupon_create(request: HttpRequest, payload: CouponIn) -> tuple[int, CouponOut]:
    require_perm(request, "promotions.add_coupon")
    coupon = services.coupon_create(**payload.model_dump())
    return 201, coupon_out(coupon)
