"""Return requests through core's StateMachine: each status they reach appends one domain event
(returns/event_types.py) and one ReturnEvent row (the return's readable timeline) in the writing
transaction, the order and return rows locked by the caller."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils import timezone

from orderloop.core import events
from orderloop.core.actors import actor_id
from orderloop.core.statemachine import StateMachine
from orderloop.core.text import clean_text

from . import domain
from .errors import InvalidReturnTransition
from .models import ReturnChannel, ReturnEvent, ReturnEventKind, ReturnRequest, ReturnStatus

# The allowed targets in the statuses' order, as the API's error details have always listed them.
RETURNS = StateMachine(
    subject="return",
    transitions={status: domain.allowed_next(status) for status in ReturnStatus},
    error=InvalidReturnTransition,
)

# Opened by the customer on the shop's own pages (a signed-in customer is not staff).
CUSTOMER_CHANNELS = frozenset({ReturnChannel.TRACKING_PAGE, ReturnChannel.PORTAL})


@cache
def _saved_fields() -> tuple[str, ...]:
    """Every column of a return: a move saves whatever the service changed before it, as `save()` did."""
    return tuple(
        f.name
        for f in ReturnRequest._meta.get_fields()
        if getattr(f, "concrete", False) and not f.many_to_many and not getattr(f, "primary_key", False)
    )


def subject(rma: ReturnRequest) -> dict[str, Any]:
    """What every return event says about its return."""
    return {"number": rma.number, "order_id": rma.order_id, "order_number": rma.order.number}


def timeline(
    rma: ReturnRequest,
    *,
    kind: str,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> ReturnEvent:
    """Append a row to the return's readable timeline (who, when, from → to, why)."""
    return ReturnEvent.objects.create(
        request=rma,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id(actor),
        reason=clean_text(reason, 255),
        data=data or {},
    )


def move(
    rma: ReturnRequest,
    to: str,
    *,
    actor: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Move a locked return: check the table, save it (with whatever else the caller changed), record
    `return.<to>` (`payload`: the type's own fields) and the timeline row (`data`: its details)."""
    current = rma.status
    reason = clean_text(reason, 255)
    RETURNS.check(current, to)
    rma.status_changed_at = timezone.now()
    RETURNS.move(
        rma,
        to,
        actor=actor,
        data={**subject(rma), "reason": reason, **(payload or {})},
        update_fields=[f for f in _saved_fields() if f != "status"],
    )
    timeline(
        rma,
        kind=ReturnEventKind.STATUS_CHANGE,
        actor=actor,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )


def opened(rma: ReturnRequest, *, actor: Any, channel: str, lines: list[dict[str, Any]]) -> None:
    """A new return (in its first status): `return.requested` and the timeline's first row."""
    events.record(
        f"return.{rma.status}",
        rma.pk,
        {
            "from": "",
            "to": rma.status,
            **subject(rma),
            "channel": channel,
            "method": rma.method,
            "lines": lines,
        },
        actor=actor,
        actor_kind="customer" if channel in CUSTOMER_CHANNELS else None,
        sequence=1,
    )
    timeline(
        rma,
        kind=ReturnEventKind.OPENED,
        actor=actor,
        to_status=rma.status,
        reason=channel,
        data={"lines": lines},
    )
