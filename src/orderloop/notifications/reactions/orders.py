"""What customers and staff hear about orders, as consumers of the orders' events (orders/event_types.py).

Each consumer runs from the task outbox after the order's transaction committed (core/consumers.py),
once per event; the messages it writes are sent by their own task (notifications/tasks.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orderloop.core.consumers import consumer
from orderloop.core.models import DomainEvent
from orderloop.core.money import Money
from orderloop.orders import sla
from orderloop.orders.expiry import PAYMENT_TIMEOUT_REASON
from orderloop.orders.models import Order, OrderStatus

from ..models import StaffNotificationKind
from ..services import customer_message_queue, notify_staff, order_confirmation_queue, order_confirmed_queue

logger = logging.getLogger(__name__)

PAYMENT_TIMEOUT_KIND = "order_payment_timeout"
SLA_NOTIFICATION_MESSAGE = gettext_noop(
    "Order %(number)s has been in status “%(status)s” for more than %(limit)s (since %(since)s)."
)


def _order(event: DomainEvent) -> Order | None:
    return Order.objects.select_related("manager").filter(pk=event.subject_id).first()


@consumer("notifications.order_confirmation", types=["order.placed"])
def order_placed(event: DomainEvent) -> None:
    """The "thank you for your order" email (the channels and address rule: order_confirmation_queue)."""
    order = _order(event)
    if order is not None:
        order_confirmation_queue(order=order)


@consumer("notifications.order_confirmed", types=["order.confirmed"])
def order_confirmed(event: DomainEvent) -> None:
    """ "Your order is confirmed", when the shop confirmed a new order (not an order that comes back
    `confirmed` after waiting for stock)."""
    if event.data.get("from") != OrderStatus.NEW:
        return
    order = _order(event)
    if order is not None:
        order_confirmed_queue(order=order)


@consumer("notifications.order_payment_timeout", types=["order.cancelled"])
def order_expired_unpaid(event: DomainEvent) -> None:
    """An unpaid prepaid order expired (orders/expiry.py): the customer hears why, in their language."""
    hours = event.data.get("payment_timeout_hours")
    if event.data.get("reason") != PAYMENT_TIMEOUT_REASON or hours is None:
        return
    order = _order(event)
    if order is None:
        return
    if not order.customer_email:
        logger.info("order %s expired; the customer has no email address to tell", order.number)
        return
    subject, body = payment_timeout_message(order, hours=int(hours))
    customer_message_queue(
        order=order,
        event_key=f"{event.type}:{event.pk}",
        kind=PAYMENT_TIMEOUT_KIND,
        recipient=order.customer_email,
        language=order.customer_language,
        subject=subject,
        body=body,
    )


def payment_timeout_message(order: Order, *, hours: int) -> tuple[str, str]:
    """Subject and body in the customer's language."""
    with translation.override(order.customer_language or settings.LANGUAGE_CODE):
        values = {
            "number": order.number,
            "hours": hours,
            "name": order.customer_name,
            "total": Money.of(order.total_amount, order.currency).format(),
            "status": OrderStatus.CANCELLED.label,
            "shop": settings.ORDERLOOP.get("SHOP_NAME", "Orderloop"),
        }
        subject = _("Order %(number)s: cancelled, payment not received") % values
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % values,
                ngettext(
                    "we did not receive the payment for your order %(number)s within %(hours)s hour, so the "
                    "order was cancelled and the reserved items were released.",
                    "we did not receive the payment for your order %(number)s within %(hours)s hours, so the "
                    "order was cancelled and the reserved items were released.",
                    hours,
                )
                % values,
                _("Order: %(number)s\nTotal: %(total)s\nStatus: %(status)s") % values,
                _("If you still want these items, you are welcome to place a new order."),
                _("Kind regards,\n%(shop)s") % values,
            ]
        )
    return subject, body


@consumer("notifications.order_sla_breach", types=["order.sla_breached"])
def order_sla_breached(event: DomainEvent) -> None:
    """The responsible manager (or every Manager) hears that an order is overdue, once per breach."""
    order = _order(event)
    if order is None:
        return
    data: dict[str, Any] = event.data
    since = datetime.fromisoformat(data["since"])
    notify_staff(
        recipients=sla.sla_recipients(order),
        kind=StaffNotificationKind.SLA_BREACH,
        message=SLA_NOTIFICATION_MESSAGE,
        params={
            "number": data["number"],
            "status": data["status"],
            "limit": sla.format_limit(timedelta(minutes=data["limit_minutes"])),
            "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M"),
        },
        order=order,
        key=sla.breach_key(order_id=order.pk, status=data["status"], since=since),
    )
