"""The customer's emails about their return, answering the return's events (returns/event_types.py):
approved, rejected, received, refunded (only once the money moved), settled with a replacement."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from orderloop.core.consumers import consumer
from orderloop.core.models import DomainEvent
from orderloop.core.money import Money
from orderloop.returns import selectors
from orderloop.returns.models import ReturnMethod, ReturnRequest

from ..services import customer_message_queue

# Event type → the message (its templates: returns/email/<kind>.txt and <kind>_subject.txt).
MESSAGES = {
    "return.approved": "return_approved",
    "return.rejected": "return_rejected",
    "return.received": "return_received",
    "return.refunded": "refund_sent",
    "return.exchanged": "exchange_created",
}


@consumer("notifications.return_customer", types=sorted(MESSAGES))
def tell_customer_about_return(event: DomainEvent) -> None:
    """Write the customer's email in their language (sent by the task worker); once per return and kind."""
    kind = MESSAGES[event.type]
    rma = ReturnRequest.objects.select_related("order").filter(pk=int(event.subject_id)).first()
    if rma is None:
        return
    order = rma.order
    if not order.customer_email:
        return
    language = order.customer_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "rma": rma,
            "order": order,
            "shop_name": settings.ORDERLOOP.get("SHOP_NAME", ""),
            "return_url": selectors.return_url(rma),
            "refund": Money.of(rma.refund_amount, rma.currency).format(language),
            "method": ReturnMethod(rma.method).label if rma.method in ReturnMethod.values else rma.method,
        }
        subject = render_to_string(f"returns/email/{kind}_subject.txt", context)
        body = render_to_string(f"returns/email/{kind}.txt", context)
    customer_message_queue(
        order=order,
        event_key=f"return:{rma.pk}:{kind}",
        kind=kind,
        recipient=order.customer_email,
        language=language,
        subject=subject,
        body=body,
    )
