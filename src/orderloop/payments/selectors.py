"""Reads of the payments area shared by the API, the pages and the services. Never write."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse

from orderloop.core.money import Money
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, PaymentKind

from . import domain
from .errors import InvoiceNotFound
from .models import (
    BankStatementImport,
    Invoice,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentState,
    PaymentStatus,
    Refund,
    RefundStatus,
)

ZERO = Decimal("0")
REQUEST_SALT = "orderloop.payments.request"

DEFAULT_BANK_DETAILS = {
    "beneficiary": "",  # the shop's name when empty
    "iban": "UA213223130000026007233566001",
    "bank": "Demo Bank",
    "bic": "DEMOUAUKXXX",
    "address": "",
    "tax_id": "",
}


def bank_details() -> dict[str, str]:
    """The shop's bank account for invoices: `ORDERLOOP["BANK_DETAILS"]` over demo defaults."""
    configured = settings.ORDERLOOP.get("BANK_DETAILS", {}) or {}
    details = {**DEFAULT_BANK_DETAILS, **{k: str(v) for k, v in dict(configured).items()}}
    details["beneficiary"] = details["beneficiary"] or str(settings.ORDERLOOP.get("SHOP_NAME", ""))
    return details


def prepayment_of(*, kind: str, total: Decimal, currency: str) -> Decimal:
    """What an order of this payment kind and total pays first (`PREPAYMENT_SHARE` or
    `PREPAYMENT_AMOUNT`); nothing unless it is a prepayment order."""
    if kind != PaymentKind.PREPAYMENT:
        return ZERO
    return domain.prepayment_amount(
        total=total,
        currency=currency,
        share=str(settings.ORDERLOOP.get("PREPAYMENT_SHARE", "0.30")),
        fixed=settings.ORDERLOOP.get("PREPAYMENT_AMOUNT"),
    )


def prepayment_for(order: Order, *, total: Decimal | None = None) -> Decimal:
    """What a prepayment order pays first, of its total (or of `total`, the total after an edit)."""
    return prepayment_of(
        kind=order.payment_method.kind,
        total=order.total_amount if total is None else total,
        currency=order.currency,
    )


@dataclass(frozen=True)
class PaymentSplit:
    """What a customer pays before delivery and what is collected at the door."""

    now: Money
    on_delivery: Money


def payment_split(*, kind: str, total: Money) -> PaymentSplit:
    """The split of a new order's total, by the rules its payment follows once placed (the checkout shows
    it before the order is placed): card and transfer everything now, cash on delivery everything at the
    door, prepayment its share now and the rest at the door."""
    prepayment = prepayment_of(kind=kind, total=total.amount, currency=total.currency)
    now = domain.amount_due_now(kind=kind, sums=domain.Sums(total=total.amount), prepayment=prepayment)
    at_door = total.amount - now if kind in {PaymentKind.COD, PaymentKind.PREPAYMENT} else ZERO
    return PaymentSplit(now=Money.of(now, total.currency), on_delivery=Money.of(at_door, total.currency))


def payment_sums(order: Order) -> domain.Sums:
    """The order's money as the rows say: captured and authorized payments, refunds that succeeded."""
    paid = Payment.objects.filter(order=order).aggregate(
        captured=Sum("captured_amount", filter=Q(status=PaymentStatus.CAPTURED)),
        authorized=Sum("amount", filter=Q(status=PaymentStatus.AUTHORIZED)),
    )
    refunded = Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))
    return domain.Sums(
        total=order.total_amount,
        authorized=paid["authorized"] or ZERO,
        captured=paid["captured"] or ZERO,
        refunded=refunded["s"] or ZERO,
    )


def refunds_open_amount(order: Order) -> Decimal:
    open_ = Refund.objects.filter(
        order=order, status__in=[RefundStatus.PENDING, RefundStatus.PROCESSING]
    ).aggregate(s=Sum("amount"))
    return open_["s"] or ZERO


def edit_difference(order: Order, *, total: Decimal) -> domain.Difference:
    """What the customer owes (`due`) or is owed (`refund`) once the order's total is `total`: the rule
    `payment_reconcile_after_edit` applies after an edit, so the edit's preview shows what saving does."""
    return domain.difference_after_edit(
        kind=order.payment_method.kind,
        total=total,
        net_paid=payment_sums(order).net_paid,
        refunds_open=refunds_open_amount(order),
        prepayment=prepayment_for(order, total=total),
    )


def payment_request_token(request_id: int) -> str:
    return signing.dumps({"r": request_id}, salt=REQUEST_SALT)


def payment_request_url(payment_request: PaymentRequest) -> str:
    """The signed payment link (absolute when `ORDERLOOP["SITE_URL"]` is set)."""
    path = reverse("payments:pay", args=[payment_request_token(payment_request.pk)])
    return str(settings.ORDERLOOP.get("SITE_URL", "")).rstrip("/") + path


def payment_request_from_token(token: str) -> PaymentRequest | None:
    try:
        data = signing.loads(token, salt=REQUEST_SALT)
    except signing.BadSignature:
        return None
    request_id = data.get("r") if isinstance(data, dict) else None
    return (
        PaymentRequest.objects.select_related("order", "order__payment_method").filter(pk=request_id).first()
        if isinstance(request_id, int)
        else None
    )


@dataclass
class PaymentOverview:
    """Everything the API and the order card show about an order's money."""

    order: Order
    state: str
    sums: domain.Sums
    due_now: Decimal
    prepayment: Decimal
    payment_reference: str
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    invoice: Invoice | None = None
    open_request: PaymentRequest | None = None
    open_request_url: str = ""

    def money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.order.currency)

    @property
    def kind(self) -> str:
        return self.order.payment_method.kind

    @property
    def state_label(self) -> str:
        return str(PaymentState(self.state).label)

    @property
    def invoiceable(self) -> bool:
        return self.kind in {PaymentKind.BANK_TRANSFER, PaymentKind.PREPAYMENT}

    @property
    def collects_cash(self) -> bool:
        return self.kind in {PaymentKind.COD, PaymentKind.PREPAYMENT}

    @property
    def refundable(self) -> Decimal:
        return self.sums.net_paid - refunds_open_amount(self.order)

    @property
    def outstanding(self) -> Decimal:
        return self.sums.outstanding

    def as_context(self) -> dict[str, Any]:
        return {"overview": self}


def order_for_payments(*, number: str) -> Order:
    order = Order.objects.select_related("payment_method").filter(number=number).first()
    if order is None:
        raise OrderNotFound()
    return order


def payment_overview(*, order_id: int) -> PaymentOverview:
    order = Order.objects.select_related("payment_method").filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    sums = payment_sums(order)
    prepayment = prepayment_for(order)
    open_request = order.payment_requests.filter(status=PaymentRequestStatus.OPEN).first()
    return PaymentOverview(
        order=order,
        state=domain.payment_state(sums),
        sums=sums,
        due_now=domain.amount_due_now(kind=order.payment_method.kind, sums=sums, prepayment=prepayment),
        prepayment=prepayment,
        payment_reference=domain.payment_reference(order.number),
        payments=list(order.payments.select_related("recorded_by").order_by("id")),
        refunds=list(order.refunds.select_related("confirmed_by", "requested_by").order_by("id")),
        invoice=order.invoices.order_by("-id").first(),
        open_request=open_request,
        open_request_url=payment_request_url(open_request) if open_request else "",
    )


def invoice_by_number(*, number: str) -> Invoice:
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise InvoiceNotFound()
    return invoice


def statement_imports_recent(*, limit: int = 20) -> QuerySet[BankStatementImport]:
    return BankStatementImport.objects.select_related("uploaded_by").order_by("-id")[:limit]
