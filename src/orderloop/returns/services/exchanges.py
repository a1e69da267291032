"""Exchanges: a replacement order paid by the returned units' value; a leftover is refunded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.events import money
from orderloop.orders import locks as order_locks
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.services import Actor, order_place

from .. import domain, selectors
from ..models import ReturnRequest
from ..transitions import RETURNS, move
from .common import S, _locked, _order_after_return
from .refunds import _credit_note_issue, _record_settlement, return_refund_send


@dataclass(frozen=True)
class ExchangeItem:
    sku: str
    quantity: int


def return_exchange(*, rma_id: int, items: Sequence[ExchangeItem], actor: Actor) -> ReturnRequest:
    """Exchange (one transaction), then send a leftover card refund to Stripe."""
    rma = return_exchange_request(rma_id=rma_id, items=items, actor=actor)
    return return_refund_send(rma_id=rma.pk) if rma.refund_ids else rma


def return_exchange_request(*, rma_id: int, items: Sequence[ExchangeItem], actor: Actor) -> ReturnRequest:
    """Settle an inspected return with a replacement order (e.g. the other size): placed like any order
    (channel of the original order, external reference the RMA number), so it reserves stock — or is
    refused as a whole (409 insufficient_stock) with nothing written. The returned units' value pays the
    replacement (a payment recorded on it); what is left over is refunded, what the replacement costs
    beyond it is due on the replacement order."""
    from orderloop.catalog.models import Variant
    from orderloop.payments.services import payment_record_transfer, refund_request

    if not items:
        raise InvalidInput(details={"items": _("Choose at least one replacement item.")})
    skus = [item.sku.strip() for item in items]
    with transaction.atomic():
        # The lock order of orders/locks.py: the replacement's stock rows before any order row.
        order_locks.stock_rows_for_allocation(
            Variant.objects.filter(sku__in=skus).values_list("id", flat=True)
        )
        order, rma = _locked(rma_id)
        RETURNS.check(rma.status, S.EXCHANGED)
        quote = selectors.refund_quote(rma)
        value = quote.quote.due
        terms = domain.PolicyTerms.from_json(rma.policy)
        replacement = order_place(
            channel=order.channel,
            external_ref=rma.number,
            customer=CustomerData(
                name=order.customer_name,
                phone=order.customer_phone,
                email=order.customer_email,
                language=order.customer_language,
            ),
            shipping_address=AddressData(
                country=order.ship_country,
                city=order.ship_city,
                postal_code=order.ship_postal_code,
                line1=order.ship_line1,
                line2=order.ship_line2,
                region=order.ship_region,
            ),
            delivery_method_code=order.delivery_method.code,
            payment_method_code=order.payment_method.code,
            lines=[
                LineData(
                    sku=sku,
                    quantity=item.quantity,
                    note=_("Exchange for %(number)s") % {"number": rma.number},
                )
                for sku, item in zip(skus, items, strict=True)
            ],
            comment=_("Replacement for return %(number)s") % {"number": rma.number},
            free_delivery=domain.exchange_delivery_free(
                terms=terms, reasons=[line.reason for line in rma.lines.all()], method=rma.method
            ),
            actor=actor,
        )
        split = domain.exchange_split(value=value, replacement_total=replacement.total_amount)
        if split.credit > 0:
            payment_record_transfer(
                order_id=replacement.pk,
                amount=str(split.credit),
                reference=f"exchange {rma.number}",
                actor=actor,
            )
        rows = (
            refund_request(
                order_id=order.pk,
                amount=str(split.refund),
                reason=f"return {rma.number} (exchange)",
                actor=actor,
                confirm=True,
            )
            if split.refund > 0
            else []
        )
        _record_settlement(rma, quote)
        rma.refund_amount = split.refund
        rma.refund_ids = [row.pk for row in rows]
        rma.exchange_order = replacement
        rma.refunded_at = timezone.now()
        move(
            rma,
            S.EXCHANGED,
            actor=actor,
            data={
                "order": replacement.number,
                "credit": str(split.credit),
                "refund": str(split.refund),
                "due": str(split.due),
            },
            payload={
                "replacement_order": replacement.number,
                "credit": money(split.credit, order.currency),
                "refund": money(split.refund, order.currency),
                "due": money(split.due, replacement.currency),
            },
        )
        if value > 0:
            _credit_note_issue(rma, quote, total=value, settlement="exchange", actor=actor)
        _order_after_return(order, actor=actor)
        return rma
