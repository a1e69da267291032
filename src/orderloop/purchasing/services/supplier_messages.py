"""E-mails to suppliers: written with the sending purchase order, sent by a task."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.workers import lease, with_reconnect

from ..models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderEventKind,
    SupplierMessage,
)
from ._common import Actor, _timeline

logger = logging.getLogger(__name__)


def _message_text(po: PurchaseOrder) -> tuple[str, str]:
    """Subject and body of the email, in the supplier's language."""
    shop = str(settings.ORDERLOOP.get("SHOP_NAME", "Orderloop"))
    with translation.override(po.supplier.language or settings.LANGUAGE_CODE):
        subject = _("Purchase order %(number)s from %(shop)s") % {"number": po.number, "shop": shop}
        lines = "\n".join(
            f"- {line.supplier_sku or line.sku} {line.name}: {line.quantity_ordered}"
            for line in po.lines.all()
        )
        expected = date_format(po.expected_date, "DATE_FORMAT") if po.expected_date else "—"
        body = _(
            "Hello %(contact)s,\n\nplease find attached our purchase order %(number)s.\n\n%(lines)s\n\n"
            "Deliver to: %(warehouse)s\nExpected delivery: %(expected)s\n\n%(note)s\n\nThank you,\n%(shop)s"
        ) % {
            "contact": po.supplier.contact_name or po.supplier.name,
            "number": po.number,
            "lines": lines,
            "warehouse": f"{po.warehouse.name}, {po.warehouse.address_line} {po.warehouse.postal_code} {po.warehouse.city}".strip(),
            "expected": expected,
            "note": po.note,
            "shop": shop,
        }
    return subject, body


def _queue_email(po: PurchaseOrder, *, event: PurchaseOrderEvent, actor: Actor) -> SupplierMessage | None:
    """Write the email row and enqueue its sending in this transaction (the queue is an outbox)."""
    if not po.supplier.email:
        return None
    subject, body = _message_text(po)
    message = SupplierMessage.objects.create(
        purchase_order=po,
        event_key=f"po_event:{event.pk}",
        recipient=po.supplier.email,
        language=po.supplier.language or settings.LANGUAGE_CODE,
        subject=" ".join(subject.split())[:255],
        body=body,
    )
    from ..tasks import send_supplier_message

    enqueue_with_transaction(send_supplier_message, message_id=message.pk)
    _timeline(
        po,
        kind=PurchaseOrderEventKind.EMAIL_QUEUED,
        actor=actor,
        data={"message_id": message.pk, "recipient": message.recipient},
    )
    return message


# --- Sending e-mail (the task calls this) ----------------------------------------------------------------


def supplier_message_send(*, message_id: int) -> bool:
    """Send a queued purchase order email once (with the PDF attached). Returns True if this call sent it.

    Claimed with one conditional UPDATE, sent outside any transaction, then marked sent; a failure
    releases the claim, records the error and re-raises (the task can run again)."""
    from ..pdf import render_purchase_order_pdf

    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease())
    claimed = SupplierMessage.objects.filter(claimable, pk=message_id, sent_at__isnull=True).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = SupplierMessage.objects.select_related(
        "purchase_order__supplier", "purchase_order__warehouse"
    ).get(pk=message_id)
    po = message.purchase_order
    try:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
        )
        email.attach(
            f"{po.number}.pdf", render_purchase_order_pdf(po, language=message.language), "application/pdf"
        )
        email.send(fail_silently=False)
    except Exception as exc:
        SupplierMessage.objects.filter(pk=message_id, claimed_at=now).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("sending purchase order %s to %s failed: %s", po.number, message.recipient, exc)
        raise
    # The mail server has it: a dropped connection must not make the task fail and send it again.
    with_reconnect(
        lambda: SupplierMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), last_error="")
    )
    return True


def supplier_message_takeover_at(*, message_id: int) -> datetime | None:
    """When an unsent message claimed by an earlier run may be taken over: a claim older than the task
    lease (core/workers.py) belongs to a worker that died while sending. None: sent or not claimed."""
    claimed_at = (
        SupplierMessage.objects.filter(pk=message_id, sent_at__isnull=True, claimed_at__isnull=False)
        .values_list("claimed_at", flat=True)
        .first()
    )
    return None if claimed_at is None else claimed_at + lease()
