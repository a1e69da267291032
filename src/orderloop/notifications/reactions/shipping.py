"""What the customer hears about their parcels: shipped, ready for pickup, delivered, and each failed
delivery attempt (the shipment events of shipping/event_types.py). The email is rendered when it is
sent (notifications/emails.py), in the customer's language."""

from __future__ import annotations

from orderloop.core.consumers import consumer
from orderloop.core.models import DomainEvent
from orderloop.orders.models import Order

from .. import emails
from ..services import customer_message_queue

# The email each shipment event sends: once per parcel and kind, except a failed attempt (each one is
# news again).
PARCEL_EMAILS = {
    "shipment.handed_over": emails.PARCEL_SHIPPED,
    "shipment.ready_for_pickup": emails.PARCEL_READY_FOR_PICKUP,
    "shipment.delivered": emails.PARCEL_DELIVERED,
    "shipment.failed_attempt": emails.DELIVERY_FAILED,
}


@consumer("notifications.shipment_customer", types=list(PARCEL_EMAILS))
def tell_customer_about_parcel(event: DomainEvent) -> None:
    kind = PARCEL_EMAILS[event.type]
    order = Order.objects.filter(pk=event.data["order_id"]).first()
    if order is None or not order.customer_email:
        return
    shipment_id = event.subject_id
    key = f"{kind}:{shipment_id}:{event.pk}" if kind == emails.DELIVERY_FAILED else f"{kind}:{shipment_id}"
    customer_message_queue(
        order=order,
        event_key=key,
        kind=kind,
        recipient=order.customer_email,
        language=order.customer_language,
        subject="",
        body="",
    )
