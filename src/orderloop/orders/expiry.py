"""Expiry of unpaid prepaid orders (docs/order-rules.md).

An order with a prepaid payment method waits in `awaiting_payment` (order_confirm puts it there). When
no money arrived within ORDERLOOP["PAYMENT_TIMEOUT_HOURS"] (default 72 h — after the 48 h SLA
reminder to the manager, see sla.py) of entering that status, the periodic task
orders.tasks.expire_unpaid_orders cancels it through `order_cancel` with reason `payment_timeout`:
every reservation goes back to stock, and the `order.cancelled` event carries `payment_timeout_hours`,
to which notifications react with an email to the customer in their language.

ORDERLOOP["PAYMENT_TIMEOUT_STATUSES"] (default ["awaiting_payment"]) lists the statuses that expire;
add "new" if the shop's prepaid orders wait for payment before anyone confirms them. A timeout of 0
switches expiry off.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from . import domain, locks, services
from .models import Order, OrderStatus

logger = logging.getLogger(__name__)

PAYMENT_TIMEOUT_REASON = "payment_timeout"
DEFAULT_PAYMENT_TIMEOUT_HOURS = 72
DEFAULT_EXPIRING_STATUSES: tuple[str, ...] = (OrderStatus.AWAITING_PAYMENT,)
BATCH_SIZE = 200


# --- The rule (pure) ----------------------------------------------------------------------------------


def payment_deadline(*, since: datetime, timeout: timedelta) -> datetime:
    return since + timeout


def is_payment_overdue(
    *,
    status: str,
    is_prepaid: bool,
    since: datetime,
    now: datetime,
    timeout: timedelta,
    statuses: Collection[str] = DEFAULT_EXPIRING_STATUSES,
) -> bool:
    """An order with a prepaid method, still waiting for money, past the deadline."""
    return (
        timeout > timedelta(0)
        and is_prepaid
        and status in statuses
        and domain.is_cancellable(status)
        and now > payment_deadline(since=since, timeout=timeout)
    )


# --- Settings and reads -------------------------------------------------------------------------------


def payment_timeout() -> timedelta:
    hours = settings.ORDERLOOP.get("PAYMENT_TIMEOUT_HOURS", DEFAULT_PAYMENT_TIMEOUT_HOURS)
    return timedelta(hours=float(hours or 0))


def expiring_statuses() -> tuple[str, ...]:
    configured = settings.ORDERLOOP.get("PAYMENT_TIMEOUT_STATUSES", DEFAULT_EXPIRING_STATUSES)
    return tuple(status for status in configured if status in OrderStatus.values)


def overdue_unpaid_order_ids(
    *, now: datetime, timeout: timedelta, statuses: Collection[str], limit: int = BATCH_SIZE
) -> list[int]:
    if timeout <= timedelta(0) or not statuses:
        return []
    return list(
        Order.objects.filter(
            status__in=list(statuses),
            payment_method__is_prepaid=True,
            status_changed_at__lt=now - timeout,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


# --- Writes -------------------------------------------------------------------------------------------


def order_expire_unpaid(
    *,
    order_id: int,
    now: datetime | None = None,
    timeout: timedelta | None = None,
    statuses: Collection[str] | None = None,
) -> Order | None:
    """Cancel one overdue unpaid order (re-checked under its row lock); its event tells the customer.
    Returns the cancelled order, or None when it no longer qualifies (paid meanwhile, cancelled by
    someone)."""
    now = now or timezone.now()
    timeout = payment_timeout() if timeout is None else timeout
    statuses = expiring_statuses() if statuses is None else statuses
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order is None or not is_payment_overdue(
            status=order.status,
            is_prepaid=order.payment_method.is_prepaid,
            since=order.status_changed_at,
            now=now,
            timeout=timeout,
            statuses=statuses,
        ):
            return None
        hours = int(timeout.total_seconds() // 3600)
        order = services.order_cancel(
            order_id=order.pk,
            actor=None,
            reason=PAYMENT_TIMEOUT_REASON,
            note=ngettext("No payment within %(hours)s hour.", "No payment within %(hours)s hours.", hours)
            % {"hours": hours},
            payment_timeout_hours=hours,
        )
        return order


@dataclass
class ExpiryReport:
    cancelled: list[str] = field(default_factory=list)


def expire_unpaid_orders(*, now: datetime | None = None) -> ExpiryReport:
    """Cancel every overdue unpaid prepaid order, each in its own transaction. Safe to run twice or
    concurrently: each order is re-checked under its lock, and a cancelled one no longer qualifies."""
    now = now or timezone.now()
    timeout = payment_timeout()
    statuses = expiring_statuses()
    report = ExpiryReport()
    for order_id in overdue_unpaid_order_ids(now=now, timeout=timeout, statuses=statuses):
        try:
            order = order_expire_unpaid(order_id=order_id, now=now, timeout=timeout, statuses=statuses)
        except Exception:
            # One bad order must not stop the others; the next run tries it again.
            logger.exception("expiring order id=%s failed", order_id)
            continue
        if order is not None:
            report.cancelled.append(order.number)
    return report
