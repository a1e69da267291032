"""Fulfilment: standard box sizes, pick waves with their totes, pick lists and pick tasks, parcels and
what is in them, every scan at the pick and pack stations (mis-picks are scans), and the timeline of
waves, pick lists and parcels.

Only fulfillment/services/ writes these rows; statuses change through the transition tables in
domain.py. Orders are moved only through `orders.services.order_transition`, stock only through the
inventory services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PickMethod(models.TextChoices):
    SINGLE = "single", _("Single order")
    BATCH = "batch", _("Batch")
    ZONE = "zone", _("Zone")
    WAVE = "wave", _("Wave (batches picked by zone)")


class WaveStatus(models.TextChoices):
    RELEASED = "released", _("Released")
    PICKING = "picking", _("Picking")
    PICKED = "picked", _("Picked")
    CLOSED = "closed", _("Closed")


class PickListStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ParcelStatus(models.TextChoices):
    OPEN = "open", _("Packing")
    PACKED = "packed", _("Packed")
    CANCELLED = "cancelled", _("Cancelled")


class ScanStage(models.TextChoices):
    PICK = "pick", _("Picking")
    PACK = "pack", _("Packing")


class ScanOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    TOO_MANY = "too_many", _("Too many")
    UNKNOWN_CODE = "unknown_code", _("Unknown code")


# The outcomes that count as a mis-pick: a product the order does not have reached the packing station.
# An over-scan (`too_many`: the packer scanned a unit that is packed already) and an unknown code are
# refused and recorded, but say nothing about the picking.
MISPICK_OUTCOMES = (ScanOutcome.WRONG_ITEM,)


class BoxSize(models.Model):
    """One of the shop's standard boxes (inside measures). The packing station suggests the smallest
    that fits."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    length_mm = models.PositiveIntegerField(_("inside length (mm)"))
    width_mm = models.PositiveIntegerField(_("inside width (mm)"))
    height_mm = models.PositiveIntegerField(_("inside height (mm)"))
    # The heaviest contents the box carries (0: no limit).
    max_weight_g = models.PositiveIntegerField(_("weight limit (g)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("box size")
        verbose_name_plural = _("box sizes")
        constraints = [
            models.CheckConstraint(
                condition=Q(length_mm__gt=0) & Q(width_mm__gt=0) & Q(height_mm__gt=0),
                name="box_size_dimensions_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.length_mm}×{self.width_mm}×{self.height_mm})"

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


class Wave(models.Model):
    """A release of orders to one warehouse, picked with one method."""

    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="waves", verbose_name=_("warehouse")
    )
    method = models.CharField(_("picking method"), max_length=10, choices=PickMethod.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=WaveStatus.choices, default=WaveStatus.RELEASED
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    batch_size = models.PositiveIntegerField(_("orders per batch"), default=1)
    # What the release selected: orders of these delivery methods, placed before the cut-off.
    delivery_methods = models.JSONField(_("delivery methods"), default=list, blank=True)
    cutoff_at = models.DateTimeField(_("placed before"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("released"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        indexes = [models.Index(fields=["warehouse", "status"], name="wave_warehouse_status_idx")]
        permissions = [("release_wave", "Can release pick waves")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"W{self.pk}"


class Tote(models.Model):
    """One order's container in a wave (a slot on the picker's cart; its label is the code). Units of
    the order picked in this warehouse go into it and meet at the packing station."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="totes", verbose_name=_("wave"))
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="totes", verbose_name=_("order")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    batch = models.PositiveIntegerField(_("batch"))
    slot = models.PositiveIntegerField(_("slot"))
    code = models.CharField(_("code"), max_length=30, unique=True)
    # Open while its order still has units in this warehouse to pick or pack.
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        ordering = ["wave_id", "batch", "slot"]
        verbose_name = _("tote")
        verbose_name_plural = _("totes")
        constraints = [
            models.UniqueConstraint(fields=["wave", "order"], name="tote_one_per_order_per_wave"),
            models.UniqueConstraint(fields=["wave", "batch", "slot"], name="tote_slot_unique_per_batch"),
            # An order is in at most one open wave per warehouse: two releases cannot both take it.
            models.UniqueConstraint(
                fields=["order", "warehouse"], condition=Q(is_open=True), name="tote_one_open_per_order"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PickList(models.Model):
    """What one picker walks: a batch of orders (all zones, or one zone), in bin-route order."""

    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="pick_lists", verbose_name=_("wave")
    )
    sequence = models.PositiveIntegerField(_("number in wave"))
    code = models.CharField(_("code"), max_length=30, unique=True)
    batch = models.PositiveIntegerField(_("batch"))
    # Empty: every zone of the warehouse.
    zone = models.CharField(_("zone"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PickListStatus.choices, default=PickListStatus.OPEN
    )
    picker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pick_lists",
        verbose_name=_("picker"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["wave_id", "sequence"]
        verbose_name = _("pick list")
        verbose_name_plural = _("pick lists")
        constraints = [
            models.UniqueConstraint(fields=["wave", "sequence"], name="pick_list_sequence_unique"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="pick_list_status_idx")]
        permissions = [("pick_orders", "Can pick orders")]

    def __str__(self) -> str:
        return self.code


class PickTask(models.Model):
    """Units of one order line to take from one bin, into the order's tote."""

    pick_list = models.ForeignKey(
        PickList, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("pick list")
    )
    tote = models.ForeignKey(Tote, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("tote"))
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="pick_tasks", verbose_name=_("line")
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    stock = models.ForeignKey("inventory.StockLevel", on_delete=models.PROTECT, related_name="pick_tasks")
    bin = models.ForeignKey(
        "inventory.BinLocation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Where it was when the wave was released (a bin may be renamed or re-assigned later).
    bin_code = models.CharField(_("bin"), max_length=50, blank=True)
    zone = models.CharField(_("zone"), max_length=10, blank=True)
    # The position on the pick list's route (domain.route_key).
    route_position = models.PositiveIntegerField(_("route position"))
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_picked = models.PositiveIntegerField(_("picked"), default=0)
    # Not found in the bin: re-allocated elsewhere or backordered.
    quantity_short = models.PositiveIntegerField(_("short"), default=0)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)

    class Meta:
        ordering = ["pick_list_id", "route_position", "id"]
        verbose_name = _("pick task")
        verbose_name_plural = _("pick tasks")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="pick_task_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_picked__lte=F("quantity") - F("quantity_short")),
                name="pick_task_picked_within_quantity",
            ),
        ]
        indexes = [
            models.Index(fields=["line"], name="pick_task_line_idx"),
            models.Index(fields=["pick_list", "route_position"], name="pick_task_route_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bin_code}: {self.variant_id} × {self.quantity}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.quantity_picked - self.quantity_short


class Parcel(models.Model):
    """A box leaving one warehouse for one order. Packed parcels are what shipping takes over."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="parcels", verbose_name=_("order")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="parcels", verbose_name=_("warehouse")
    )
    sequence = models.PositiveIntegerField(_("parcel number"))
    status = models.CharField(
        _("status"), max_length=12, choices=ParcelStatus.choices, default=ParcelStatus.OPEN
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    suggested_box = models.ForeignKey(
        BoxSize,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested box"),
    )
    box = models.ForeignKey(
        BoxSize,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("box"),
    )
    # Weighed on the scale, box included.
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["order_id", "sequence"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="parcel_sequence_unique_per_order"),
            # One box on the packing table per order and warehouse: two packers cannot open two.
            models.UniqueConstraint(
                fields=["order", "warehouse"], condition=Q(status="open"), name="parcel_one_open_per_order"
            ),
            models.CheckConstraint(
                condition=~Q(status="packed") | (Q(box__isnull=False) & Q(weight_g__gt=0)),
                name="parcel_packed_has_box_and_weight",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="parcel_status_idx")]
        permissions = [("pack_orders", "Can pack parcels")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.order.number}-{self.sequence}"


class ParcelLine(models.Model):
    parcel = models.ForeignKey(
        Parcel, on_delete=models.CASCADE, related_name="lines", verbose_name=_("parcel")
    )
    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="parcel_lines", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["parcel_id", "line_id"]
        verbose_name = _("parcel line")
        verbose_name_plural = _("parcel lines")
        constraints = [
            models.UniqueConstraint(fields=["parcel", "line"], name="parcel_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="parcel_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.parcel_id}: {self.line_id} × {self.quantity}"


class ScanRecord(models.Model):
    """Every scan at a pick or pack station, accepted or refused. Refused packing scans of a wrong item
    are the mis-picks that pick accuracy is computed from (over-scans and unknown codes are not)."""

    stage = models.CharField(_("stage"), max_length=8, choices=ScanStage.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ScanOutcome.choices)
    code = models.CharField(_("scanned code"), max_length=100)
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, null=True, blank=True, related_name="scans")
    pick_list = models.ForeignKey(
        PickList, on_delete=models.CASCADE, null=True, blank=True, related_name="scans"
    )
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("units"), default=1)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        indexes = [
            models.Index(fields=["stage", "created_at"], name="scan_stage_created_idx"),
            models.Index(fields=["parcel", "id"], name="scan_parcel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.code}: {self.outcome}"

    @property
    def is_mispick(self) -> bool:
        return self.stage == ScanStage.PACK and self.outcome in MISPICK_OUTCOMES


class EventKind(models.TextChoices):
    STATUS_CHANGE = "status_change", _("Status change")
    SHORT_PICK = "short_pick", _("Short pick")
    MISPICK = "mispick", _("Mis-pick")
    CLAIMED = "claimed", _("Claimed")


class FulfilmentEvent(models.Model):
    """The timeline of waves, pick lists and parcels: one row per fact (old → new status, who, why)."""

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    pick_list = models.ForeignKey(
        PickList, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("fulfilment event")
        verbose_name_plural = _("fulfilment events")

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}→{self.to_status}"
