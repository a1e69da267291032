"""The bank transfer invoice: issued once, numbered without gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.sequences import next_in_sequence
from orderloop.orders.models import PaymentKind
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..errors import NothingDue, WrongPaymentMethod
from ..models import Invoice, InvoiceCounter
from .common import _check_open, _lock_order, _sync


def _next_invoice_sequence(year: int) -> int:
    """The next sequence of the year without gaps, inside the issuing transaction (core/sequences.py)."""
    return next_in_sequence(InvoiceCounter, key_field="year", key=year)


INVOICED_KINDS = frozenset({PaymentKind.BANK_TRANSFER, PaymentKind.PREPAYMENT})


def invoice_issue(*, order_id: int, actor: Actor) -> Invoice:
    """The order's invoice for a bank transfer (issued once; asking again returns it). The amount due is
    what the customer must transfer now: everything, or the prepayment of a prepayment order."""
    with transaction.atomic():
        order = _lock_order(order_id)
        existing = Invoice.objects.filter(order=order).order_by("-id").first()
        if existing is not None:
            return existing
        if order.payment_method.kind not in INVOICED_KINDS:
            raise WrongPaymentMethod(details={"payment_method": order.payment_method.code})
        _check_open(order)
        state = _sync(order, actor=actor, reason="invoice_issued")
        sums = selectors.payment_sums(order)
        due = domain.amount_due_now(
            kind=order.payment_method.kind, sums=sums, prepayment=selectors.prepayment_for(order)
        )
        if due <= 0:
            raise NothingDue()
        now = timezone.now()
        year = timezone.localdate(now).year
        sequence = _next_invoice_sequence(year)
        lines: list[dict[str, Any]] = [
            {
                "position": line.position,
                "sku": line.sku,
                "name": line.name,
                "attributes": line.attributes,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price_amount),
                "total": str(line.unit_price_amount * line.quantity),
            }
            for line in order.lines.order_by("position")
        ]
        return Invoice.objects.create(
            number=domain.invoice_number(year, sequence),
            year=year,
            sequence=sequence,
            order=order,
            order_number=order.number,
            payment_reference=state.payment_reference,
            language=order.customer_language,
            issued_at=now,
            due_date=timezone.localdate(now)
            + timedelta(days=int(settings.ORDERLOOP.get("INVOICE_DUE_DAYS", 7))),
            currency=order.currency,
            subtotal_amount=order.subtotal_amount,
            discount_amount=order.discount_amount,
            delivery_amount=order.delivery_amount,
            total_amount=order.total_amount,
            amount_due=due,
            lines=lines,
            customer={
                "name": order.customer_name,
                "email": order.customer_email,
                "phone": order.customer_phone,
                "address": [
                    part
                    for part in (
                        order.ship_line1,
                        order.ship_line2,
                        " ".join(p for p in (order.ship_postal_code, order.ship_city) if p),
                        order.ship_region,
                        order.ship_country,
                    )
                    if part
                ],
            },
            seller=selectors.bank_details(),
            issued_by_id=_actor_id(actor),
        )
