from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 two-letter code"))
    # Lower number = allocated first.
    priority = models.PositiveIntegerField(_("priority"), default=100)
    # Orders placed before the cut-off (shop time) start handling that working day.
    cutoff_time = models.TimeField(_("order cut-off time"), default=datetime.time(14, 0))
    # Working days the warehouse needs, counting the day handling starts (1: handed over that day).
    handling_days = models.PositiveSmallIntegerField(_("handling days"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class BinLocation(models.Model):
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="bins", verbose_name=_("warehouse")
    )
    zone = models.CharField(_("zone"), max_length=10)
    aisle = models.CharField(_("aisle"), max_length=10)
    shelf = models.CharField(_("shelf"), max_length=10)
    bin = models.CharField(_("bin"), max_length=10)
    code = models.CharField(_("code"), max_length=50)
    # The position on the picker's walk through the warehouse; pick lists sort by it.
    route_order = models.PositiveIntegerField(_("pick-route order"), default=0)

    class Meta:
        ordering = ["warehouse_id", "route_order", "code"]
        verbose_name = _("bin location")
        verbose_name_plural = _("bin locations")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse")
        ]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """Stock of one variant in one warehouse. `available = on_hand - reserved`.

    Only services in inventory/services.py write these rows, always together with a StockMovement.
    """

    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    incoming = models.IntegerField(_("incoming"), default=0)
    bin = models.ForeignKey(
        BinLocation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stock_levels",
        verbose_name=_("bin"),
    )
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"), null=True, blank=True, help_text=_("Empty: the shop's default.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant_id", "warehouse_id"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_unique_variant_warehouse"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(condition=Q(incoming__gte=0), name="stock_incoming_not_negative"),
        ]
        permissions = [
            ("adjust_stock", "Can adjust stock quantities"),
            ("count_stock", "Can record stock counts"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Release")
    SHIPMENT = "shipment", _("Shipment")
    RETURN = "return", _("Return")


class StockMovement(models.Model):
    """The stock ledger: one row per change of on_hand or reserved. Rows are never edited or deleted;
    summing the deltas of a stock row's movements gives the row (`check_stock_ledger` proves it)."""

    stock = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    reason = models.CharField(_("reason"), max_length=16, choices=MovementReason.choices)
    on_hand_delta = models.IntegerField(_("on-hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    # The stock row right after this movement, so the ledger reads like a bank statement.
    on_hand_after = models.IntegerField(_("on hand after"))
    reserved_after = models.IntegerField(_("reserved after"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0) | ~Q(reserved_delta=0), name="movement_changes_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.on_hand_delta:+}/{self.reserved_delta:+}"
