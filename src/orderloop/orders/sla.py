"""SLA rules: how long an order may stay in a status before someone is told (docs/order-rules.md).

`sla_check` (run every minute by the periodic task orders.tasks.check_sla) marks each order that stayed
in its status longer than the rule allows (`sla_breached_at`, `sla_rule`), appends an `sla_breached`
timeline row and records `order.sla_breached`; notifications react to that event by telling the
responsible manager — or every Manager when nobody is responsible (`sla_recipients`) — once per
breach. Moving the order to another status clears the breach (orders/services.py `_move`).

Time in status is measured from `Order.status_changed_at`, which `order_transition` sets together
with the status_change event. Orders on hold are left alone: someone is already handling them.

Settings: ORDERLOOP["SLA_RULES"] = {status: minutes}; a status not listed has no SLA, and
ORDERLOOP["SLA_RULES"] = {} switches SLA checks off.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from orderloop.core import events, roles

from . import locks
from .models import EventKind, Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)

DEFAULT_SLA_RULES: dict[str, int] = {
    OrderStatus.NEW: 30,  # confirm (or call) a new order within half an hour
    OrderStatus.CONFIRMED: 24 * 60,  # a confirmed order starts picking within a day
    OrderStatus.AWAITING_PAYMENT: 48 * 60,  # chase the payment (the order expires later, see expiry.py)
    OrderStatus.PACKED: 24 * 60,  # a packed parcel is handed to the carrier within a day
}

# Orders handled per run; the next run (a minute later) takes the rest.
BATCH_SIZE = 500

# --- The rules (pure) ---------------------------------------------------------------------------------


def parse_rules(config: Mapping[str, Any]) -> dict[str, timedelta]:
    """{status: minutes} → {status: limit}; unknown statuses and non-positive limits are ignored."""
    rules: dict[str, timedelta] = {}
    for status, minutes in config.items():
        try:
            value = float(minutes)
        except (TypeError, ValueError):
            continue
        if status in OrderStatus.values and value > 0:
            rules[str(status)] = timedelta(minutes=value)
    return rules


def breach_deadline(*, status: str, since: datetime, rules: Mapping[str, timedelta]) -> datetime | None:
    """When an order that entered `status` at `since` breaches its SLA (None: no rule for it)."""
    limit = rules.get(status)
    return since + limit if limit is not None else None


def is_breached(*, status: str, since: datetime, now: datetime, rules: Mapping[str, timedelta]) -> bool:
    deadline = breach_deadline(status=status, since=since, rules=rules)
    return deadline is not None and now > deadline


def format_limit(limit: timedelta) -> str:
    """A limit as the message shows it: "30 min", "24 h", "1 h 30 min"."""
    minutes = int(limit.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def breach_key(*, order_id: int, status: str, since: datetime) -> str:
    """Names one breach: the order, its status and when it entered it. A notification carries it, so
    a second run (or a second scheduler) cannot notify twice about the same breach."""
    return f"sla:{order_id}:{status}:{int(since.timestamp())}"


# --- Reads ------------------------------------------------------------------------------------------


def sla_rules() -> dict[str, timedelta]:
    return parse_rules(settings.ORDERLOOP.get("SLA_RULES", DEFAULT_SLA_RULES))


def sla_breached_orders() -> QuerySet[Order]:
    """Orders currently in breach, the longest overdue first."""
    return Order.objects.filter(sla_breached_at__isnull=False).order_by("sla_breached_at", "id")


def sla_breached_first(orders: QuerySet[Order]) -> QuerySet[Order]:
    """The same orders with those in breach first (longest overdue first), then newest first."""
    return orders.order_by(F("sla_breached_at").asc(nulls_last=True), "-id")


def overdue_order_ids(*, now: datetime, rules: Mapping[str, timedelta], limit: int = BATCH_SIZE) -> list[int]:
    """Orders past their status's limit and not yet marked (one indexed range scan per rule)."""
    ids: list[int] = []
    for status, allowed in rules.items():
        ids += list(
            Order.objects.filter(
                status=status,
                status_changed_at__lt=now - allowed,
                sla_breached_at__isnull=True,
                on_hold=False,
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
    return sorted(ids)[:limit]


def sla_recipients(order: Order) -> list[Any]:
    """The responsible manager if active, otherwise every active member of the Manager role."""
    manager = order.manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(
        get_user_model().objects.filter(groups__name=roles.MANAGER, is_active=True).order_by("id").distinct()
    )


# --- The check (writes) -----------------------------------------------------------------------------


@dataclass
class SlaReport:
    breached: list[str] = field(default_factory=list)  # order numbers newly marked
    notified: int = 0  # staff to be notified (notifications write them when they consume the events)


def order_mark_sla_breach(
    *, order_id: int, now: datetime, rules: Mapping[str, timedelta]
) -> tuple[Order, int] | None:
    """Mark one order as in breach if it still is (checked under the row lock), append the timeline row
    and record `order.sla_breached`. Returns (order, staff to notify), or None when there was nothing
    (more) to do."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order is None or order.sla_breached_at is not None or order.on_hold:
            return None
        since = order.status_changed_at
        if not is_breached(status=order.status, since=since, now=now, rules=rules):
            return None
        allowed = rules[order.status]
        order.sla_breached_at = now
        order.sla_rule = order.status
        order.save(update_fields=["sla_breached_at", "sla_rule", "updated_at"])
        OrderEvent.objects.create(
            order=order,
            kind=EventKind.SLA_BREACHED,
            from_status=order.status,
            to_status=order.status,
            reason=order.status,
            data={
                "rule": order.status,
                "limit_minutes": int(allowed.total_seconds() // 60),
                "since": since.isoformat(),
            },
        )
        events.record(
            "order.sla_breached",
            order.pk,
            {
                "number": order.number,
                "status": order.status,
                "limit_minutes": int(allowed.total_seconds() // 60),
                "since": since.isoformat(),
            },
        )
        recipients = sla_recipients(order)
        if not recipients:
            logger.warning("SLA breach of order %s: no active manager to notify", order.number)
        return order, len(recipients)


def sla_check(*, now: datetime | None = None) -> SlaReport:
    """Find and mark every order in breach (each in its own short transaction). Safe to run twice or
    concurrently: each order is re-checked under its row lock, and notifications are unique per breach."""
    now = now or timezone.now()
    rules = sla_rules()
    report = SlaReport()
    if not rules:
        return report
    for order_id in overdue_order_ids(now=now, rules=rules):
        result = order_mark_sla_breach(order_id=order_id, now=now, rules=rules)
        if result is not None:
            order, notified = result
            report.breached.append(order.number)
            report.notified += notified
    return report
