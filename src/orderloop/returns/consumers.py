"""The returns area's reactions to other areas' events (core/consumers.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from orderloop.core.consumers import consumer
from orderloop.core.models import DomainEvent

from .services import return_refunds_moved


@consumer("returns.refund_succeeded", types=["refund.succeeded"])
def refund_reached_customer(event: DomainEvent) -> None:
    """A refund of the order reached the customer (the provider's answer or webhook, staff confirming a
    bank transfer): a return waiting for its money becomes `refunded` once all of it moved."""
    actor = get_user_model().objects.filter(pk=event.actor_id).first() if event.actor_id else None
    return_refunds_moved(order_id=int(event.data["order_id"]), actor=actor)
