"""Request and response shapes of the coupons API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from orderloop.core.shapes import InSchema

from .models import CouponKind


class CouponIn(InSchema):
    code: str = Field(..., max_length=40)
    kind: CouponKind
    value: Decimal = Field(..., description="Percent (10 = 10 %) or an amount in `currency`.")
    currency: str = Field("", max_length=3, description="Fixed coupons: the currency of `value`.")
    min_subtotal: Decimal | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = Field(None, ge=1)
    max_uses_per_customer: int | None = Field(None, ge=1)


class CouponOut(Schema):
    code: str
    kind: str
    value: str
    currency: str
    min_subtotal: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    uses: int
    is_active: bool
