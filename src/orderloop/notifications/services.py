"""Writes of the notifications area: in-app notes for staff, and messages to customers (an outbox).

A customer message is written in the same transaction as the fact it reports, and its sending task
is enqueued there too (core/outbox.py): nothing goes out for a rolled-back change. Sending happens
outside any transaction, claimed first, so two workers (or one task run twice) send it once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from orderloop.core import rawsql
from orderloop.core.errors import NotFound
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.workers import lease, with_reconnect

from .models import CustomerMessage, MessageChannel, StaffNotification

logger = logging.getLogger(__name__)


def stale_claim() -> timedelta:
    """A claim older than this belongs to a worker that died while sending: the task lease
    (core/workers.py) has put its task back by then, and the rerun takes the message over."""
    return lease()


def notify_staff(
    *,
    recipients: Iterable[Any],
    kind: str,
    message: str,
    params: Mapping[str, Any] | None = None,
    order: Any = None,
    key: str = "",
) -> list[StaffNotification]:
    """One notification per recipient. `message` is an untranslated msgid (mark it with gettext_noop)
    with %(name)s placeholders from `params`; it is translated when shown. With a `key`, a recipient
    who already has a notification with that key gets no second one. Returns the rows written."""
    users = {user.pk: user for user in recipients if user is not None and user.pk is not None}
    if not users:
        return []
    if key:
        already = set(
            StaffNotification.objects.filter(dedupe_key=key, recipient_id__in=users).values_list(
                "recipient_id", flat=True
            )
        )
        users = {pk: user for pk, user in users.items() if pk not in already}
    rows = [
        StaffNotification(
            recipient=user,
            kind=kind,
            message=str(message),
            params=dict(params or {}),
            order=order,
            dedupe_key=key[:120],
        )
        for user in users.values()
    ]
    if not rows:
        return []
    # ignore_conflicts: a concurrent writer of the same key wins, nobody gets two.
    StaffNotification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    return rows


def notification_mark_read(*, notification_id: int, user: Any) -> StaffNotification:
    """Mark one of the user's notifications read (reading another user's is a 404)."""
    notification = StaffNotification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        StaffNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return StaffNotification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Customer messages -------------------------------------------------------------------------------


def customer_message_queue(
    *,
    order: Any,
    event_key: str,
    kind: str,
    recipient: str,
    language: str,
    subject: str,
    body: str,
    channel: str = MessageChannel.EMAIL,
    fresh: bool = False,
) -> CustomerMessage:
    """Record a message (already rendered in the customer's language) and enqueue its sending, in the
    caller's transaction. The same (event, channel) twice returns the first row and enqueues nothing."""
    existing = None if fresh else CustomerMessage.objects.filter(event_key=event_key, channel=channel).first()
    if existing is not None:
        return existing
    try:
        # `fresh`: the fact was created in this transaction (a new order), so nobody wrote its message
        # yet: no lookup and no savepoint.
        with contextlib.nullcontext() if fresh else transaction.atomic():
            message = CustomerMessage(
                order=order,
                event_key=event_key[:120],
                kind=kind[:40],
                channel=channel,
                recipient=recipient[:254],
                language=language[:8],
                subject=" ".join(subject.split())[:255],
                body=body,
            )
            rawsql.insert([message])  # one per placed order
    except IntegrityError:
        return CustomerMessage.objects.get(event_key=event_key, channel=channel)
    from .tasks import send_customer_message

    enqueue_with_transaction(send_customer_message, message_id=message.pk)
    return message


CONFIRMED_CHANNELS_DEFAULT = ("web", "phone", "social", "store", "api")


def order_confirmation_queue(*, order: Any) -> CustomerMessage | None:
    """The order confirmation to the customer, queued when notifications consume `order.placed`
    (reactions/orders.py; rendered by the sending task). None when the order has no email address or
    its channel does not confirm (`CONFIRMATION_EMAIL_CHANNELS`; marketplaces write to their buyers
    themselves)."""
    channels = settings.ORDERLOOP.get("CONFIRMATION_EMAIL_CHANNELS", CONFIRMED_CHANNELS_DEFAULT)
    if not order.customer_email or order.channel not in channels:
        return None
    from .emails import ORDER_CONFIRMATION

    return customer_message_queue(
        order=order,
        event_key=f"order_confirmation:{order.pk}",
        kind=ORDER_CONFIRMATION,
        recipient=order.customer_email,
        language=order.customer_language,
        subject="",
        body="",
    )


def order_confirmed_queue(*, order: Any) -> CustomerMessage | None:
    """ "Your order is confirmed", queued when notifications consume `order.confirmed`, once per order
    (rendered and sent by the task). The same channels and address rule as the confirmation above."""
    channels = settings.ORDERLOOP.get("CONFIRMATION_EMAIL_CHANNELS", CONFIRMED_CHANNELS_DEFAULT)
    if not order.customer_email or order.channel not in channels:
        return None
    from .emails import ORDER_CONFIRMED

    return customer_message_queue(
        order=order,
        event_key=f"{ORDER_CONFIRMED}:{order.pk}",
        kind=ORDER_CONFIRMED,
        recipient=order.customer_email,
        language=order.customer_language,
        subject="",
        body="",
    )


def _rendered(message: CustomerMessage) -> tuple[CustomerMessage, list[tuple[str, bytes, str]]]:
    """Render a message whose kind has a template (emails.RENDERERS) and keep the text on the row."""
    from .emails import render_customer_email

    if message.order is None:
        return message, []
    email = render_customer_email(message.kind, message.order, message.language)
    if email is None:
        return message, []
    message.subject, message.body, message.html_body = email.subject[:255], email.text, email.html
    CustomerMessage.objects.filter(pk=message.pk).update(
        subject=message.subject, body=message.body, html_body=message.html_body
    )
    return message, email.attachments


def customer_message_send(*, message_id: int) -> bool:
    """Send a queued message once. Returns True if this call sent it.

    Claimed with one conditional UPDATE (no other worker can claim it meanwhile, unless the claim is
    stale), rendered and sent outside any transaction, then marked sent. A failure releases the claim,
    records the error and re-raises (the task is marked failed and can be run again).
    """
    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim())
    claimed = (
        CustomerMessage.objects.filter(claimable, pk=message_id, sent_at__isnull=True)
        .filter(channel=MessageChannel.EMAIL)
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = CustomerMessage.objects.select_related("order").get(pk=message_id)
    try:
        message, attachments = _rendered(message)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            # The same for every attempt: a message sent again after a crash (between the mail server's
            # acceptance and `sent_at`) is recognisable as the same message.
            headers={
                "Message-ID": f"<customer-message-{message.pk}-{message.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>"
            },
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        for filename, content, mimetype in attachments:
            email.attach(filename, content, mimetype)
        email.send(fail_silently=False)
    except Exception as exc:
        CustomerMessage.objects.filter(pk=message_id, claimed_at=now).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("sending customer message %s failed: %s", message_id, exc)
        raise
    # The mail server has it: a dropped connection must not make the task fail and send it again.
    with_reconnect(
        lambda: CustomerMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), last_error="")
    )
    return True


def customer_message_takeover_at(*, message_id: int) -> datetime | None:
    """When an unsent message that another run has claimed may be taken over (its claim goes stale);
    None when it was sent, is not claimed, or does not exist."""
    claimed_at = (
        CustomerMessage.objects.filter(pk=message_id, sent_at__isnull=True, claimed_at__isnull=False)
        .values_list("claimed_at", flat=True)
        .first()
    )
    return None if claimed_at is None else claimed_at + stale_claim()
