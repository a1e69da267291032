"""Returns: the return policy per country, return requests (RMA) with their lines, photos, events and
inspections, and credit notes.

Only returns/services.py writes these tables. The order's status moves through
`orders.services.order_transition`, stock through `inventory.services`, money through
`payments.services` — never here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orderloop.core.documents import document_storage
from orderloop.core.history import history_user
from orderloop.core.models import HistoryRecordBase
from orderloop.core.money import Money


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    # The refund is decided and requested; the money has not reached the customer yet (a bank transfer
    # staff have not confirmed, a card refund the provider has not confirmed).
    REFUND_PENDING = "refund_pending", _("Refund pending")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchanged")
    CLOSED = "closed", _("Closed")


class ReturnReason(models.TextChoices):
    WRONG_SIZE = "wrong_size", _("Wrong size")
    DAMAGED = "damaged", _("Damaged")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    OTHER = "other", _("Other")
    # Not offered to customers: a parcel refused at delivery (or not collected) that comes back.
    REFUSED = "refused", _("Refused at delivery")


class ReturnMethod(models.TextChoices):
    DROP_OFF = "drop_off", _("Drop-off at a pickup point")
    COURIER_PICKUP = "courier_pickup", _("Courier pickup")
    POST = "post", _("By post")
    # A refused parcel the carrier brings back by itself.
    CARRIER_RETURN = "carrier_return", _("Returned by the carrier")


class ReturnChannel(models.TextChoices):
    TRACKING_PAGE = "tracking_page", _("Follow-the-order page")
    PORTAL = "portal", _("Return portal")
    STAFF = "staff", _("Staff (phone, email, chat)")
    API = "api", _("API")
    REFUSED = "refused", _("Refused at delivery")


class ShippingPaidBy(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    SHOP = "shop", _("The shop")


class DeliveryRefund(models.TextChoices):
    NEVER = "never", _("Never")
    FULL_RETURN = "full_return", _("When the whole order is returned")
    ALWAYS = "always", _("With every return")


class ConditionGrade(models.TextChoices):
    AS_NEW = "as_new", _("As new")
    GOOD = "good", _("Opened, resellable")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing from the parcel")


class Disposition(models.TextChoices):
    RESTOCK = "restock", _("Back to available stock")
    QUARANTINE = "quarantine", _("Quarantine")
    WRITE_OFF = "write_off", _("Write off")
    NONE = "none", _("Nothing (not received)")


class ReturnPolicy(models.Model):
    """The shop's return policy for one country (`country` empty: every country without its own row).

    The window is never below the country's legal minimum (`ORDERLOOP["RETURN_LEGAL_MINIMUM_DAYS"]`):
    services refuse such a policy, and domain.effective_window applies the minimum again at use."""

    country = models.CharField(_("country"), max_length=2, blank=True, unique=True)
    window_days = models.PositiveSmallIntegerField(_("return window (days)"))
    # Condition codes (domain.CONDITIONS): "unused", "original_packaging", "tags_attached", "proof_of_purchase".
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    non_returnable_categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("non-returnable categories")
    )
    return_shipping_paid_by = models.CharField(
        _("return shipping paid by"),
        max_length=10,
        choices=ShippingPaidBy.choices,
        default=ShippingPaidBy.SHOP,
    )
    # Taken off the refund when the customer pays the return and the shop's label is used.
    return_shipping_fee = models.DecimalField(
        _("return shipping fee"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    refund_delivery = models.CharField(
        _("refund the original delivery"),
        max_length=12,
        choices=DeliveryRefund.choices,
        default=DeliveryRefund.FULL_RETURN,
    )
    methods = models.JSONField(_("return methods"), default=list, blank=True)
    refund_due_days = models.PositiveSmallIntegerField(_("refund due within (days)"), default=14)
    auto_approve = models.BooleanField(_("approve eligible requests at once"), default=True)
    # {language: text}: the shop's own words on the policy page, shown in the customer's language.
    notes_translations = models.JSONField(_("notes"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The audit trail (core/history.py), the excluded categories included.
    history = HistoricalRecords(
        bases=[HistoryRecordBase],
        get_user=history_user,
        excluded_fields=["updated_at"],
        m2m_fields=["non_returnable_categories"],
    )

    class Meta:
        ordering = ["country"]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            models.CheckConstraint(condition=Q(window_days__gte=1), name="return_policy_window_positive"),
            models.CheckConstraint(
                condition=Q(refund_due_days__gte=7) & Q(refund_due_days__lte=14),
                name="return_policy_refund_due_7_to_14_days",
            ),
            models.CheckConstraint(
                condition=Q(return_shipping_fee__gte=0), name="return_policy_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.country or "*"


class ReturnRequest(models.Model):
    """A return (RMA). Its status changes only through services (domain.RETURN_TRANSITIONS)."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="return_requests", verbose_name=_("order")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    method = models.CharField(_("return method"), max_length=20, choices=ReturnMethod.choices)
    opened_via = models.CharField(_("opened via"), max_length=20, choices=ReturnChannel.choices)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_note = models.TextField(_("customer's note"), blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    # Where the parcel is received and restocked.
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receiving warehouse"),
    )
    # The policy as it was when the request was opened (domain.PolicyTerms as JSON).
    policy = models.JSONField(_("policy"), default=dict)
    # The return shipment (shipping_port.py): the carrier's reference, or the RMA number for the
    # shop's own label.
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_ref = models.CharField(_("return tracking"), max_length=100, blank=True)
    label_created_at = models.DateTimeField(_("label created"), null=True, blank=True)
    # Personal data (the customer's name and address): the private documents storage, never MEDIA_ROOT.
    label_file = models.FileField(
        _("return label"), upload_to="returns/labels/", storage=document_storage, blank=True
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    # The refund SLA: due date from receipt; flagged (and staff notified) once when it passes.
    refund_due_at = models.DateTimeField(_("refund due"), null=True, blank=True)
    refund_overdue_at = models.DateTimeField(_("refund overdue since"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    goods_amount = models.DecimalField(
        _("goods refunded"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    delivery_amount = models.DecimalField(
        _("delivery refunded"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    fee_amount = models.DecimalField(
        _("return shipping fee"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    deduction_amount = models.DecimalField(
        _("deduction"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    deduction_reason = models.CharField(_("deduction reason"), max_length=255, blank=True)
    refund_amount = models.DecimalField(_("refund"), max_digits=12, decimal_places=2, default=Decimal("0"))
    # payments.Refund ids this return asked for.
    refund_ids = models.JSONField(_("refunds"), default=list, blank=True)
    # A cash-on-delivery (or transfer) refund is paid by bank transfer to this account.
    bank_iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bank_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    exchange_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchanged_from",
        verbose_name=_("replacement order"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="return_refund_not_negative"),
            models.CheckConstraint(
                condition=Q(deduction_amount__gte=0), name="return_deduction_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="return_status_id_idx"),
            models.Index(fields=["tracking_ref"], name="return_tracking_idx"),
            models.Index(
                fields=["refund_due_at"],
                condition=Q(refund_overdue_at__isnull=True, refund_due_at__isnull=False),
                name="return_refund_due_idx",
            ),
        ]
        permissions = [
            ("approve_return", "Can approve, reject and close returns"),
            ("receive_return", "Can receive returned parcels"),
            ("inspect_return", "Can inspect returned items"),
            ("refund_return", "Can refund and exchange returns"),
        ]

    def __str__(self) -> str:
        return self.number

    def money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)

    @property
    def refund(self) -> Money:
        return self.money(self.refund_amount)


class ReturnLine(models.Model):
    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("return")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        related_name="return_lines",
        verbose_name=_("order line"),
    )
    # Snapshots for reports: what was returned even if the catalog changes.
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="return_lines", verbose_name=_("variant")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    # Units refunded (or credited to an exchange) and what the customer had paid for them (their share
    # of the coupon taken off), set when the return is settled.
    refunded_quantity = models.PositiveIntegerField(_("units refunded"), default=0)
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        ordering = ["request_id", "id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_positive"),
            models.UniqueConstraint(fields=["request", "order_line"], name="return_line_once_per_order_line"),
        ]
        indexes = [models.Index(fields=["variant"], name="return_line_variant_idx")]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"


class ReturnPhoto(models.Model):
    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="photos", verbose_name=_("return")
    )
    image = models.FileField(_("photo"), upload_to="returns/%Y/%m/", storage=document_storage)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["request_id", "id"]
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")

    def __str__(self) -> str:
        return self.image.name or ""


class ReturnEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STATUS_CHANGE = "status_change", _("Status change")
    LABEL = "label", _("Return label")
    TRACKING = "tracking", _("Tracking")
    INSPECTION = "inspection", _("Inspection")
    REFUND = "refund", _("Refund")
    BANK_DETAILS = "bank_details", _("Bank details")
    SLA_OVERDUE = "sla_overdue", _("Refund overdue")
    NOTE = "note", _("Note")


class ReturnEvent(models.Model):
    """The return's timeline: one row per fact (who, when, from → to, why), never edited."""

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("return")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReturnEventKind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=ReturnStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ReturnStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["request_id", "id"]
        verbose_name = _("return event")
        verbose_name_plural = _("return events")
        indexes = [models.Index(fields=["request", "id"], name="return_event_request_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.from_status}→{self.to_status}"


class Inspection(models.Model):
    """What the warehouse found for (some of) a line's units, and where they went in stock."""

    line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    grade = models.CharField(_("condition"), max_length=20, choices=ConditionGrade.choices)
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices)
    refund = models.BooleanField(_("refund these units"), default=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("inspected"), auto_now_add=True)

    class Meta:
        ordering = ["line_id", "id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="inspection_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity} {self.grade} → {self.disposition}"


class CreditNoteCounter(models.Model):
    """The last credit note sequence of a year, incremented inside the issuing transaction (no gaps)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("credit note counter")
        verbose_name_plural = _("credit note counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ImmutableCreditNote(Exception):
    pass


class CreditNoteQuerySet(models.QuerySet["CreditNote"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableCreditNote("credit notes are immutable once issued")


class CreditNote(models.Model):
    """Issued once, never changed (like invoices): the model refuses saves of an existing row and
    queryset updates, and a database trigger refuses UPDATE statements (migration 0002)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="credit_note", verbose_name=_("return")
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("order")
    )
    order_number = models.CharField(_("order number"), max_length=20)
    return_number = models.CharField(_("return number"), max_length=30)
    invoice_number = models.CharField(_("invoice"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8)
    issued_at = models.DateTimeField(_("issued"))
    currency = models.CharField(_("currency"), max_length=3)
    goods_amount = models.DecimalField(_("goods"), max_digits=12, decimal_places=2)
    delivery_amount = models.DecimalField(_("delivery"), max_digits=12, decimal_places=2)
    fee_amount = models.DecimalField(_("return shipping fee"), max_digits=12, decimal_places=2)
    deduction_amount = models.DecimalField(_("deduction"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("total credited"), max_digits=12, decimal_places=2)
    # "refund" (paid back) or "exchange" (credited to the replacement order).
    settlement = models.CharField(_("settlement"), max_length=20)
    lines = models.JSONField(_("lines"), default=list)
    customer = models.JSONField(_("customer"), default=dict)
    seller = models.JSONField(_("seller"), default=dict)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CreditNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="credit_note_unique_year_sequence"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="credit_note_sequence_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise ImmutableCreditNote("credit notes are immutable once issued")
        super().save(*args, **kwargs)

    @property
    def total(self) -> Money:
        return Money.of(self.total_amount, self.currency)
