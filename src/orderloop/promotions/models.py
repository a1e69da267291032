"""Promotions: coupon codes and what each order redeemed. Only promotions/services.py writes them."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orderloop.core.history import history_user
from orderloop.core.models import HistoryRecordBase


class CouponKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    FIXED = "fixed", _("Fixed amount off")


class Coupon(models.Model):
    # Stored upper-case; customers may type it in any case.
    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CouponKind.choices)
    # Percent (e.g. 10 = 10 %) or an amount in `currency`.
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    # Fixed coupons: the currency of `value` (an order in another currency cannot use it).
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    min_subtotal = models.DecimalField(
        _("minimum order value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    # Empty: unlimited. `uses` counts orders that redeemed it (a cancelled order gives its use back).
    max_uses = models.PositiveIntegerField(_("use limit"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The audit trail (core/history.py); `uses` is a counter, not a change of the coupon.
    history = HistoricalRecords(
        bases=[HistoryRecordBase], get_user=history_user, excluded_fields=["created_at", "uses"]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="coupon_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(kind="fixed") | ~Q(currency=""), name="coupon_fixed_has_currency"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")),
                name="coupon_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(models.Model):
    """One order's use of a coupon, with the terms it was redeemed under (editing the order later
    recomputes the discount with these terms, not with the coupon as it is then)."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="coupon_redemption")
    kind = models.CharField(_("kind"), max_length=10, choices=CouponKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    customer_key = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")
        indexes = [models.Index(fields=["coupon", "customer_key"], name="redemption_coupon_customer_idx")]

    def __str__(self) -> str:
        return f"{self.coupon_id} → {self.order_id}"
