"""Purchasing: suppliers and their price lists, reorder rules, purchase orders, receipts, and the outbox
of purchase orders e-mailed to suppliers.

Only services in purchasing/services/ write these rows; a purchase order's status changes only
through the transition table in purchasing/domain.py, with an event row per change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orderloop.core.history import history_user
from orderloop.core.models import HistoryRecordBase
from orderloop.core.money import Money


class Supplier(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True, help_text=_("Purchase orders are sent here."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    # The language of the purchase order PDF and email.
    language = models.CharField(_("language"), max_length=8, default="en")
    # The currency of new price-list rows and purchase orders unless said otherwise.
    currency = models.CharField(_("currency"), max_length=3)
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), default=7, help_text=_("Days from sending an order until it arrives.")
    )
    min_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"), default=1, help_text=_("Per item, unless the price list says otherwise.")
    )
    pack_size = models.PositiveIntegerField(
        _("pack size"), default=1, help_text=_("Items are ordered in multiples of this.")
    )
    # The staff member who buys from this supplier: low-stock alerts of its items go to them.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("buyer"),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="supplier_moq_positive"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="supplier_pack_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SupplierItem(models.Model):
    """One row of a supplier's price list: what a variant costs from this supplier, in one currency.
    A variant may be bought from several suppliers; one of its rows is the preferred one."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="items", verbose_name=_("supplier")
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="supplier_items", verbose_name=_("variant")
    )
    supplier_sku = models.CharField(_("supplier's SKU"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    price_amount = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    # Empty: the supplier's default.
    min_order_quantity = models.PositiveIntegerField(_("minimum order quantity"), null=True, blank=True)
    pack_size = models.PositiveIntegerField(_("pack size"), null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), null=True, blank=True)
    is_preferred = models.BooleanField(_("preferred"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The audit trail of supplier prices (core/history.py).
    history = HistoricalRecords(
        bases=[HistoryRecordBase], get_user=history_user, excluded_fields=["updated_at"]
    )

    class Meta:
        ordering = ["variant_id", "supplier_id", "currency"]
        verbose_name = _("supplier price")
        verbose_name_plural = _("supplier prices")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "variant", "currency"], name="supplier_item_unique_per_currency"
            ),
            models.UniqueConstraint(
                fields=["variant"], condition=Q(is_preferred=True), name="supplier_item_one_preferred"
            ),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="supplier_item_price_not_negative"),
            models.CheckConstraint(
                condition=Q(min_order_quantity__isnull=True) | Q(min_order_quantity__gte=1),
                name="supplier_item_moq_positive",
            ),
            models.CheckConstraint(
                condition=Q(pack_size__isnull=True) | Q(pack_size__gte=1),
                name="supplier_item_pack_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.variant_id}: {self.price_amount} {self.currency}"

    @property
    def price(self) -> Money:
        return Money.of(self.price_amount, self.currency)

    @property
    def effective_moq(self) -> int:
        return self.min_order_quantity or self.supplier.min_order_quantity

    @property
    def effective_pack_size(self) -> int:
        return self.pack_size or self.supplier.pack_size

    @property
    def effective_lead_time(self) -> int:
        return self.lead_time_days if self.lead_time_days is not None else self.supplier.lead_time_days


class ReorderMethod(models.TextChoices):
    MIN_MAX = "min_max", _("Min / max")
    REORDER_POINT = "reorder_point", _("Reorder point from sales")


class ReorderRule(models.Model):
    """When and how much to reorder of one variant for one warehouse (docs/purchasing.md)."""

    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="reorder_rules", verbose_name=_("variant")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.CASCADE,
        related_name="reorder_rules",
        verbose_name=_("warehouse"),
    )
    method = models.CharField(_("method"), max_length=20, choices=ReorderMethod.choices)
    # Min / max: reorder when the stock position is at or below min, up to max.
    min_quantity = models.PositiveIntegerField(_("minimum"), null=True, blank=True)
    max_quantity = models.PositiveIntegerField(_("maximum"), null=True, blank=True)
    # Reorder point: sales velocity over the window × lead time + safety stock.
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0)
    velocity_days = models.PositiveSmallIntegerField(
        _("sales window (days)"), default=28, help_text=_("Sales velocity is measured over this many days.")
    )
    review_days = models.PositiveSmallIntegerField(
        _("days of sales per order"), default=14, help_text=_("An order covers this many days of sales.")
    )
    # Who hears about low stock (empty: the preferred supplier's buyer, else every purchasing manager).
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set when a low-stock alert went out; cleared when the stock position is above the trigger again.
    alerted_at = models.DateTimeField(_("low-stock alert sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["variant_id", "warehouse_id"]
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse"], name="reorder_rule_unique_variant_warehouse"
            ),
            models.CheckConstraint(
                condition=~Q(method="min_max")
                | (
                    Q(min_quantity__isnull=False)
                    & Q(max_quantity__isnull=False)
                    & Q(max_quantity__gte=F("min_quantity"))
                ),
                name="reorder_rule_min_max_complete",
            ),
            models.CheckConstraint(condition=Q(velocity_days__gte=1), name="reorder_rule_window_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id} {self.method}"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseOrderCounter(models.Model):
    """The last purchase order number issued (incremented inside the creating transaction: no gaps)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_number = models.BigIntegerField()

    class Meta:
        verbose_name = _("purchase order counter")
        verbose_name_plural = _("purchase order counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_number}"


class PurchaseOrder(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders", verbose_name=_("supplier")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("deliver to"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    # When the goods should arrive: set on sending (today + lead time) unless given.
    expected_date = models.DateField(_("expected delivery"), null=True, blank=True)
    note = models.TextField(_("note to the supplier"), blank=True)
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="purchase_order_total_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="po_status_id_idx"),
            models.Index(fields=["supplier", "status"], name="po_supplier_status_idx"),
        ]
        permissions = [
            ("send_purchaseorder", "Can send purchase orders to suppliers"),
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money.of(self.total_amount, self.currency)


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("purchase order")
    )
    position = models.PositiveIntegerField(_("position"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="purchase_lines", verbose_name=_("variant")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    supplier_sku = models.CharField(_("supplier's SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)
    quantity_ordered = models.PositiveIntegerField(_("ordered"))
    # May exceed what was ordered: an over-delivery is received and recorded.
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    unit_price_amount = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["purchase_order_id", "position"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "variant"], name="po_line_unique_variant"),
            models.UniqueConstraint(fields=["purchase_order", "position"], name="po_line_unique_position"),
            models.CheckConstraint(condition=Q(quantity_ordered__gte=1), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_amount__gte=0), name="po_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity_ordered}"

    @property
    def remaining(self) -> int:
        """Units still to come (0 once everything, or more, arrived)."""
        return max(self.quantity_ordered - self.quantity_received, 0)

    @property
    def over(self) -> int:
        return max(self.quantity_received - self.quantity_ordered, 0)

    @property
    def unit_price(self) -> Money:
        return Money.of(self.unit_price_amount, self.purchase_order.currency)

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity_ordered


class PurchaseOrderEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    STATUS_CHANGE = "status_change", _("Status change")
    EMAIL_QUEUED = "email_queued", _("Email queued")
    RECEIPT = "receipt", _("Goods received")


class PurchaseOrderEvent(models.Model):
    """The purchase order's timeline: who did what when (status changes from → to), never edited."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("purchase order")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PurchaseOrderEventKind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=PurchaseOrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=PurchaseOrderStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["purchase_order_id", "id"]
        verbose_name = _("purchase order event")
        verbose_name_plural = _("purchase order events")

    def __str__(self) -> str:
        return f"{self.purchase_order_id} {self.kind} {self.from_status}→{self.to_status}"


class Receipt(models.Model):
    """One delivery counted in: what arrived against a purchase order, by whom, when."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("purchase order")
    )
    # A form or API retry with the same key returns this receipt instead of receiving twice.
    client_key = models.CharField(_("submission key"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Backordered order lines served from this delivery: [{"order", "sku", "quantity"}].
    allocations = models.JSONField(_("allocated to backorders"), default=list, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "client_key"],
                condition=~Q(client_key=""),
                name="receipt_unique_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"receipt {self.pk} of {self.purchase_order_id}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, related_name="lines", verbose_name=_("receipt")
    )
    line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units of this delivery beyond what was ordered (an over-delivery).
    over_quantity = models.PositiveIntegerField(_("over-delivered"), default=0)

    class Meta:
        ordering = ["receipt_id", "line_id"]
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "line"], name="receipt_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="receipt_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(over_quantity__lte=F("quantity")), name="receipt_line_over_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"


class SupplierMessage(models.Model):
    """A purchase order e-mailed to its supplier (with the PDF): written when the order is sent, sent
    by a task. Unique per event: whoever writes it twice, or runs the task twice, sends once."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="messages", verbose_name=_("purchase order")
    )
    event_key = models.CharField(_("event"), max_length=120, unique=True)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("supplier message")
        verbose_name_plural = _("supplier messages")

    def __str__(self) -> str:
        return f"{self.event_key} → {self.recipient}"
