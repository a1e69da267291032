"""Orders: the order, its lines, where each line's stock is reserved, and the timeline.

Only services in orders/services.py write these rows; the status changes only through
`order_transition`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orderloop.core.history import history_user
from orderloop.core.i18n import pick_translation
from orderloop.core.models import HistoryRecordBase
from orderloop.core.money import Money


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    CONFIRMED = "confirmed", _("Confirmed")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    AWAITING_STOCK = "awaiting_stock", _("Awaiting stock")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    # Some units came back and were settled, not all of them (a later return may bring the rest).
    PARTIALLY_RETURNED = "partially_returned", _("Partially returned")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


class Channel(models.TextChoices):
    WEB = "web", _("Web shop")
    PHONE = "phone", _("Phone")
    MARKETPLACE = "marketplace", _("Marketplace")
    SOCIAL = "social", _("Social")
    STORE = "store", _("Store")
    API = "api", _("API")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    EXPRESS = "express", _("Express")


class DeliveryKind(models.TextChoices):
    COURIER = "courier", _("Courier to the door")
    EXPRESS = "express", _("Express courier")
    PICKUP_POINT = "pickup_point", _("Pickup point")
    STORE_PICKUP = "store_pickup", _("Pickup in store")


class PaymentKind(models.TextChoices):
    CARD = "card", _("Card")
    COD = "cod", _("Cash on delivery")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    PREPAYMENT = "prepayment", _("Prepayment")


class DeliveryMethod(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # {"uk": "...", ...} as the catalog's names; `name` is the English/default text.
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=DeliveryKind.choices, default=DeliveryKind.COURIER
    )
    # ISO 3166 two-letter codes where the method is offered; empty = everywhere.
    countries = models.JSONField(_("countries"), default=list, blank=True)
    price_amount = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3)
    # Working days the carrier needs from handover to the customer (0: the same day, e.g. store pickup).
    transit_days = models.PositiveSmallIntegerField(_("transit days"), default=2)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    # The audit trail (core/history.py).
    history = HistoricalRecords(bases=[HistoryRecordBase], get_user=history_user)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("delivery method")
        verbose_name_plural = _("delivery methods")
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="delivery_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (English when it has no translation)."""
        return pick_translation(self.name, self.name_translations)

    @property
    def price(self) -> Money:
        return Money.of(self.price_amount, self.currency)

    def serves(self, country: str) -> bool:
        return not self.countries or country.upper() in {code.upper() for code in self.countries}


class PaymentMethod(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentKind.choices)
    # Prepaid: the money must arrive before the order goes to the warehouse.
    is_prepaid = models.BooleanField(_("prepaid"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    # The audit trail (core/history.py).
    history = HistoricalRecords(bases=[HistoryRecordBase], get_user=history_user)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (English when it has no translation)."""
        return pick_translation(self.name, self.name_translations)


class OrderCounter(models.Model):
    """The last order number issued, per shop. Incremented inside the placing transaction, so a
    rolled-back order gives its number back: numbers have no gaps and no duplicates."""

    name = models.CharField(max_length=40, primary_key=True)
    last_number = models.BigIntegerField()

    class Meta:
        verbose_name = _("order counter")
        verbose_name_plural = _("order counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_number}"


class Order(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    on_hold = models.BooleanField(_("on hold"), default=False)
    hold_reason = models.CharField(_("hold reason"), max_length=255, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )

    customer_email = models.EmailField(_("email"), blank=True)
    customer_phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164, e.g. +380501234567"))
    customer_name = models.CharField(_("name"), max_length=200)
    customer_language = models.CharField(_("language"), max_length=8)

    ship_country = models.CharField(_("country"), max_length=2)
    ship_region = models.CharField(_("region"), max_length=100, blank=True)
    ship_city = models.CharField(_("city"), max_length=100, blank=True)
    ship_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    ship_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    ship_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)

    delivery_method = models.ForeignKey(
        DeliveryMethod, on_delete=models.PROTECT, related_name="orders", verbose_name=_("delivery method")
    )
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, related_name="orders", verbose_name=_("payment method")
    )
    preferred_date = models.DateField(_("preferred delivery date"), null=True, blank=True)
    preferred_time_from = models.TimeField(_("preferred from"), null=True, blank=True)
    preferred_time_to = models.TimeField(_("preferred until"), null=True, blank=True)
    comment = models.TextField(_("customer comment"), blank=True)
    # The date the customer was promised at checkout (cut-off, handling and transit days); the
    # warehouse queues by it.
    promised_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    # Put a thank-you note in the parcel (shown at the packing station).
    thank_you_note = models.BooleanField(_("thank-you note"), default=False)

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_orders",
        verbose_name=_("responsible manager"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    currency = models.CharField(_("currency"), max_length=3)
    subtotal_amount = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    # Coupon discount on the goods (never more than the subtotal).
    discount_amount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    coupon_code = models.CharField(_("coupon"), max_length=40, blank=True)
    delivery_amount = models.DecimalField(_("delivery"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Risk flags (orders/risk.py): [{"code": "...", "params": {...}}], messages rendered at display time.
    # A flagged order needs a manager's review before it may go to the warehouse.
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True)
    # The items as one comparable value (risk.basket_key): finds a duplicate order with one index lookup.
    basket_key = models.CharField(_("basket key"), max_length=40, blank=True)
    risk_reviewed_at = models.DateTimeField(_("risk reviewed"), null=True, blank=True)
    risk_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("risk reviewed by"),
    )
    # SLA (orders/sla.py): set when the order stayed too long in its status, cleared when it moves on.
    sla_breached_at = models.DateTimeField(_("SLA breached"), null=True, blank=True)
    sla_rule = models.CharField(_("SLA rule"), max_length=40, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="order_external_ref_unique_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(subtotal_amount__gte=0) & Q(delivery_amount__gte=0) & Q(total_amount__gte=0),
                name="order_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0) & Q(discount_amount__lte=F("subtotal_amount")),
                name="order_discount_within_subtotal",
            ),
            models.CheckConstraint(
                condition=Q(total_amount=F("subtotal_amount") - F("discount_amount") + F("delivery_amount")),
                name="order_total_is_subtotal_less_discount_plus_delivery",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="order_status_id_idx"),
            models.Index(fields=["channel", "id"], name="order_channel_id_idx"),
            models.Index(fields=["priority", "status"], name="order_priority_status_idx"),
            models.Index(fields=["created_at"], name="order_created_at_idx"),
            models.Index(fields=["customer_phone"], name="order_customer_phone_idx"),
            models.Index(fields=["customer_email"], name="order_customer_email_idx"),
            # SLA checks and payment expiry: orders in a status since before a cutoff.
            models.Index(fields=["status", "status_changed_at"], name="order_status_changed_idx"),
            models.Index(
                fields=["sla_breached_at"],
                condition=Q(sla_breached_at__isnull=False),
                name="order_sla_breached_idx",
            ),
            # Risk rules: the same phone with the same items; a customer's refused parcels (partial
            # indexes: only refused orders are in them, so placing an order does not pay for them).
            # With the id last, "the newest five" is a backward scan that stops after five rows, however
            # many orders the phone has with that basket (a marketplace sends thousands).
            models.Index(fields=["customer_phone", "basket_key", "id"], name="order_phone_basket_id_idx"),
            models.Index(
                fields=["customer_phone"], condition=Q(status="refused"), name="order_refused_phone_idx"
            ),
            models.Index(
                fields=["customer_email"], condition=Q(status="refused"), name="order_refused_email_idx"
            ),
        ]
        permissions = [
            ("cancel_order", "Can cancel orders"),
            ("hold_order", "Can put orders on hold and release them"),
            ("assign_order", "Can assign the responsible manager of an order"),
            ("note_order", "Can add internal notes to orders"),
        ]

    def __str__(self) -> str:
        return self.number

    def _money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)

    @property
    def subtotal(self) -> Money:
        return self._money(self.subtotal_amount)

    @property
    def discount(self) -> Money:
        return self._money(self.discount_amount)

    @property
    def delivery_price(self) -> Money:
        return self._money(self.delivery_amount)

    @property
    def total(self) -> Money:
        return self._money(self.total_amount)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    position = models.PositiveIntegerField(_("position"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("variant")
    )
    # Snapshots: what the customer ordered, even if the catalog changes later.
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_backordered = models.PositiveIntegerField(_("backordered"), default=0)
    unit_price_amount = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # A free gift added by an order rule (price 0); not something the customer chose.
    is_gift = models.BooleanField(_("gift"), default=False)

    class Meta:
        ordering = ["order_id", "position"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_backordered__lte=F("quantity")),
                name="order_line_backorder_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(unit_price_amount__gte=0), name="order_line_price_not_negative"
            ),
        ]
        indexes = [
            # Purchasing will look for lines waiting for stock.
            models.Index(
                fields=["variant"], condition=Q(quantity_backordered__gt=0), name="order_line_backordered_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"

    @property
    def unit_price(self) -> Money:
        return Money.of(self.unit_price_amount, self.order.currency)

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def quantity_reserved(self) -> int:
        return sum(allocation.quantity for allocation in self.allocations.all())


class LineAllocation(models.Model):
    """Units of a line reserved on one stock row (one warehouse). Rows exist while the reservation
    does: releasing deletes them (the stock ledger keeps the history)."""

    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("line")
    )
    stock = models.ForeignKey(
        "inventory.StockLevel", on_delete=models.PROTECT, related_name="order_allocations"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        related_name="order_allocations",
        verbose_name=_("warehouse"),
    )
    quantity = models.PositiveIntegerField(_("reserved"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line_id", "stock_id"]
        verbose_name = _("line allocation")
        verbose_name_plural = _("line allocations")
        constraints = [
            models.UniqueConstraint(fields=["line", "stock"], name="allocation_unique_line_stock"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.warehouse_id}: {self.quantity}"


class EventKind(models.TextChoices):
    PLACED = "placed", _("Placed")
    STATUS_CHANGE = "status_change", _("Status change")
    NOTE = "note", _("Note")
    EDIT = "edit", _("Edit")
    ASSIGNMENT = "assignment", _("Assignment")
    HOLD = "hold", _("Hold")
    RELEASE = "release", _("Released from hold")
    RISK_FLAGGED = "risk_flagged", _("Risk flagged")
    RISK_REVIEWED = "risk_reviewed", _("Risk reviewed")
    SLA_BREACHED = "sla_breached", _("SLA breached")


class OrderEvent(models.Model):
    """The order's timeline: one row per fact, never edited. Time in status, SLA checks and
    bottleneck reports read these rows."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [
            models.Index(fields=["order", "id"], name="order_event_order_id_idx"),
            models.Index(fields=["to_status", "created_at"], name="order_event_to_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.from_status}→{self.to_status}"
