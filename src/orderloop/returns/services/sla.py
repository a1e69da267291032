"""The refund deadline: returns whose refund is overdue are flagged and their managers notified, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from orderloop.core import events, roles
from orderloop.orders.models import Order

from .. import domain, selectors
from ..models import ReturnEventKind, ReturnRequest
from ..transitions import subject, timeline
from .common import S, _locked

BATCH = 500  # returns checked per SLA run; the next run takes the rest


SLA_NOTIFICATION_KIND = "sla_breach"


SLA_MESSAGE = gettext_noop(
    "The refund of return %(number)s (order %(order)s) was due on %(due)s and is overdue."
)


@dataclass
class SlaReport:
    overdue: list[str] = field(default_factory=list)
    notified: int = 0


def _sla_recipients(order: Order) -> list[Any]:
    manager = order.manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(
        get_user_model().objects.filter(groups__name=roles.MANAGER, is_active=True).order_by("id").distinct()
    )


def return_mark_refund_overdue(*, rma_id: int, now: datetime) -> int | None:
    """Flag one return whose refund is overdue (re-checked under the lock) and notify the order's manager
    or every Manager, once. Returns the notifications written, or None when there was nothing to do."""
    from orderloop.notifications.services import notify_staff

    with transaction.atomic():
        order, rma = _locked(rma_id)
        if rma.refund_overdue_at is not None:
            return None
        if not domain.refund_overdue(
            due_at=rma.refund_due_at, now=now, refunded=selectors.refund_completed(rma)
        ):
            return None
        if rma.status in {S.REJECTED, S.CLOSED}:
            return None
        rma.refund_overdue_at = now
        rma.save(update_fields=["refund_overdue_at", "updated_at"])
        due = rma.refund_due_at.isoformat() if rma.refund_due_at else ""
        events.record("return.refund_overdue", rma.pk, {**subject(rma), "due_at": due})
        timeline(rma, kind=ReturnEventKind.SLA_OVERDUE, actor=None, data={"due": due})
        created = notify_staff(
            recipients=_sla_recipients(order),
            kind=SLA_NOTIFICATION_KIND,
            message=SLA_MESSAGE,
            params={
                "number": rma.number,
                "order": order.number,
                "due": timezone.localtime(rma.refund_due_at).strftime("%Y-%m-%d %H:%M")
                if rma.refund_due_at
                else "",
            },
            order=order,
            key=f"return-sla:{rma.pk}",
        )
        return len(created)


def returns_check_refund_sla(*, now: datetime | None = None) -> SlaReport:
    """Flag every return whose refund is past due and not completed (each in its own transaction).
    Safe to run twice or concurrently."""
    from orderloop.payments.models import Refund, RefundStatus

    now = now or timezone.now()
    report = SlaReport()
    due = ReturnRequest.objects.filter(refund_overdue_at__isnull=True, refund_due_at__lt=now)
    # Not refunded yet; or refunded, but a refund of it is still waiting, processing or failed (its
    # payments refund row names the return: "return R1001-1").
    waiting = (
        Refund.objects.filter(
            status__in=[RefundStatus.PENDING, RefundStatus.PROCESSING, RefundStatus.FAILED],
            reason__startswith="return ",
        )
        .values_list("reason", flat=True)
        .distinct()
    )
    numbers = {reason.split()[1] for reason in waiting if len(reason.split()) > 1}
    unrefunded = (
        due.filter(status__in=[S.RECEIVED, S.INSPECTED, S.REFUND_PENDING])
        .order_by("id")
        .values_list("id", flat=True)
    )
    unpaid = (
        due.filter(status__in=selectors.SETTLED, number__in=numbers)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for rma_id in sorted({*unrefunded[:BATCH], *unpaid[:BATCH]}):
        notified = return_mark_refund_overdue(rma_id=rma_id, now=now)
        if notified is not None:
            report.overdue.append(ReturnRequest.objects.values_list("number", flat=True).get(pk=rma_id))
            report.notified += notified
    return report
