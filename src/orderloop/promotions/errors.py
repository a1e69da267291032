from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderloop.core.errors import InvalidInput


class CouponInvalid(InvalidInput):
    """A coupon that cannot be used for this order; `details` say why (`reason`) and name the field."""

    code = "coupon_invalid"
    default_message = _("This coupon code cannot be used.")
