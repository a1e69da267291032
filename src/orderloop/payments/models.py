"""Payments: every payment and refund is a row with its provider reference; the order's payment state is
its own row, recomputed from those rows by `domain.payment_state` inside each write (services.py).

Only payments/services.py writes these tables. The order's status moves through
`orders.services.order_transition`, never here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orderloop.core.money import Money
from orderloop.orders.models import PaymentKind


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    AUTHORIZED = "authorized", _("Authorized")
    CAPTURED = "captured", _("Captured")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Provider(models.TextChoices):
    STRIPE = "stripe", _("Stripe (card)")
    CASH = "cash", _("Cash on delivery")
    BANK = "bank", _("Bank transfer (marked by staff)")
    BANK_STATEMENT = "bank_statement", _("Bank transfer (bank statement)")


class PaymentState(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    AUTHORIZED = "authorized", _("Authorized")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class RefundStatus(models.TextChoices):
    # Due to the customer; staff confirm it (sent to the provider, or paid back by bank transfer).
    PENDING = "pending", _("Awaiting confirmation")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class WebhookOutcome(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    IGNORED_UNKNOWN = "ignored_unknown", _("Ignored: unknown payment")
    IGNORED_TYPE = "ignored_type", _("Ignored: event type not handled")


class Payment(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    method_kind = models.CharField(_("method"), max_length=20, choices=PaymentKind.choices)
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    # Stripe: the PaymentIntent id (pi_...); a statement import: the bank's transaction id.
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    captured_amount = models.DecimalField(
        _("captured"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    failure_message = models.CharField(_("failure"), max_length=500, blank=True)
    request = models.ForeignKey(
        "PaymentRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payment request"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0) & Q(captured_amount__lte=F("amount")),
                name="payment_captured_within_amount",
            ),
            # A provider's id names one payment: a replayed intent or a re-imported statement row
            # cannot be recorded twice.
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=Q(provider__in=["stripe", "bank_statement"]) & ~Q(provider_reference=""),
                name="payment_provider_reference_unique",
            ),
        ]
        indexes = [models.Index(fields=["provider", "provider_reference"], name="payment_provider_ref_idx")]
        permissions = [
            ("record_transfer", "Can mark bank transfers received and import bank statements"),
            ("record_cod", "Can record cash collected on delivery"),
            ("capture_payment", "Can capture authorized card payments"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"

    @property
    def money(self) -> Money:
        return Money.of(self.amount, self.currency)


class Refund(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # Stripe: the refund id (re_...); a bank refund: the transfer's reference typed by staff.
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    failure_message = models.CharField(_("failure"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="refund_provider_reference_unique",
            ),
        ]
        permissions = [("confirm_refund", "Can confirm refunds due to customers")]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} ({self.status})"

    @property
    def money(self) -> Money:
        return Money.of(self.amount, self.currency)


class OrderPaymentState(models.Model):
    """The order's payment state and the sums it was computed from (recomputed by every write)."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="payment_state", verbose_name=_("order")
    )
    state = models.CharField(
        _("payment state"), max_length=20, choices=PaymentState.choices, default=PaymentState.UNPAID
    )
    currency = models.CharField(_("currency"), max_length=3)
    total_amount = models.DecimalField(_("order total"), max_digits=12, decimal_places=2)
    authorized_amount = models.DecimalField(
        _("authorized"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    captured_amount = models.DecimalField(
        _("captured"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    refunded_amount = models.DecimalField(
        _("refunded"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    # What a prepayment order must pay before delivery (the rest is cash on delivery); 0 otherwise.
    prepayment_amount = models.DecimalField(
        _("prepayment"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    payment_reference = models.CharField(_("payment reference"), max_length=35, unique=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order payment state")
        verbose_name_plural = _("order payment states")
        indexes = [models.Index(fields=["state"], name="payment_state_state_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"

    @property
    def net_paid(self) -> Decimal:
        return self.captured_amount - self.refunded_amount


class PaymentRequest(models.Model):
    """An amount the customer still owes after an edit, with a signed payment link (see services)."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payment_requests", verbose_name=_("order")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentRequestStatus.choices, default=PaymentRequestStatus.OPEN
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_amount_positive"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="open"), name="payment_request_one_open_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} {self.currency} ({self.status})"

    @property
    def money(self) -> Money:
        return Money.of(self.amount, self.currency)


class WebhookEvent(models.Model):
    """Every provider event received: the unique (provider, event_id) turns a replay into a no-op."""

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=WebhookOutcome.choices, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    last_received_at = models.DateTimeField(_("last received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique_per_provider")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"


class InvoiceCounter(models.Model):
    """The last invoice sequence issued in a year. Incremented inside the issuing transaction (the row stays
    locked until commit; a rollback gives the number back): numbers have no gaps and no duplicates."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ImmutableInvoice(Exception):
    pass


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableInvoice("invoices are immutable once issued (issue a credit note instead)")


class Invoice(models.Model):
    """Issued once, never changed: the model refuses saves of an existing row and queryset updates, and a
    database trigger refuses UPDATE statements (migration 0002)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    order_number = models.CharField(_("order number"), max_length=20)
    payment_reference = models.CharField(_("payment reference"), max_length=35)
    language = models.CharField(_("language"), max_length=8)
    issued_at = models.DateTimeField(_("issued"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    subtotal_amount = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    discount_amount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    delivery_amount = models.DecimalField(_("delivery"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    amount_due = models.DecimalField(_("amount due"), max_digits=12, decimal_places=2)
    # Snapshots: what the invoice said when issued, whatever changes later.
    lines = models.JSONField(_("lines"), default=list)
    customer = models.JSONField(_("customer"), default=dict)
    seller = models.JSONField(_("seller"), default=dict)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_unique_year_sequence"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="invoice_sequence_positive"),
        ]
        permissions = [("issue_invoice", "Can issue invoices")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise ImmutableInvoice("invoices are immutable once issued (issue a credit note instead)")
        super().save(*args, **kwargs)

    @property
    def due(self) -> Money:
        return Money.of(self.amount_due, self.currency)

    @property
    def total(self) -> Money:
        return Money.of(self.total_amount, self.currency)


class BankStatementImport(models.Model):
    file_name = models.CharField(_("file"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_matched = models.PositiveIntegerField(_("matched"), default=0)
    rows_unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    # One entry per row: {"line", "date", "amount", "currency", "reference", "outcome", "order", ...}.
    report = models.JSONField(_("report"), default=list)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")

    def __str__(self) -> str:
        return self.file_name
