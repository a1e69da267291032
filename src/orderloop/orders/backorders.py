"""Backorders: order lines waiting for stock, and serving them when stock arrives (docs/purchasing.md).

A line's `quantity_backordered` is what no warehouse could reserve when it was ordered. When stock
arrives (purchasing's receipt calls `backorders_allocate` in its own transaction), the waiting lines of
the variant are served in queue order — **express orders first, then the oldest order**, a line taking
what is left before the next one gets any — by reserving through the inventory service (a ledger row
each), growing the line's `LineAllocation` and shrinking `quantity_backordered`. An order in
`awaiting_stock` whose lines are then all reserved moves on through `order_transition` to where it was
headed (`resume_path`).

Locks: order rows first (ascending id, `backorders_lock`), then stock rows (ascending id) — the order
`order_edit` and `order_cancel` take them in, so a receipt and an edit of the same order never wait on
each other in a cycle. Call `backorders_lock` before touching stock rows in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet

from orderloop.core import events
from orderloop.inventory.models import StockLevel
from orderloop.inventory.services import stock_reserve
from orderloop.payments import domain as payment_domain
from orderloop.payments import selectors as payment_selectors
from orderloop.payments.models import PaymentState

from . import services
from .models import EventKind, LineAllocation, Order, OrderEvent, OrderLine, OrderStatus, Priority

S = OrderStatus

# Orders whose backordered lines may still be served (not yet in the warehouse, not closed).
SERVABLE = frozenset({S.NEW, S.CONFIRMED, S.AWAITING_PAYMENT, S.PARTIALLY_PAID, S.PAID, S.AWAITING_STOCK})

ALLOCATED_REASON = "backorder_allocated"
RESUMED_REASON = "stock_received"


# --- Pure rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """One backordered line in the queue."""

    line_id: int
    order_id: int
    variant_id: int
    express: bool
    placed_at: datetime
    position: int
    quantity: int


def queue_key(waiting: Waiting) -> tuple[int, datetime, int, int]:
    """Express before normal, then older orders first (placing time, then order id), then line order."""
    return (0 if waiting.express else 1, waiting.placed_at, waiting.order_id, waiting.position)


def plan_fill(waiting: Sequence[Waiting], available: int) -> list[tuple[Waiting, int]]:
    """Serve `available` units to the queue in order: each line takes what it needs, or what is left
    (partially), before the next line gets anything. Returns (line, units) for lines that get some."""
    plan: list[tuple[Waiting, int]] = []
    left = max(available, 0)
    for item in sorted(waiting, key=queue_key):
        if left <= 0:
            break
        take = min(item.quantity, left)
        if take > 0:
            plan.append((item, take))
            left -= take
    return plan


def resume_path(*, payment_state: str, payment_kind: str, is_prepaid: bool) -> list[str]:
    """Where a fully reserved order goes from `awaiting_stock` (each step one the table allows).

    Paid in full → `paid` (ready for the warehouse). Otherwise → `confirmed` (cash on delivery: ready for
    the warehouse); a prepaid method then waits for its money in `awaiting_payment`, as `order_confirm`
    does, and a prepayment that already arrived moves it on to `partially_paid` (the payments rule).
    The table has no way back to `new`: an order that waited from the start comes back confirmed.
    """
    if payment_state == PaymentState.PAID:
        return [S.PAID]
    path: list[str] = [S.CONFIRMED]
    if is_prepaid:
        path.append(S.AWAITING_PAYMENT)
        path += payment_domain.order_moves(
            order_status=S.AWAITING_PAYMENT, state=payment_state, kind=payment_kind
        )
    return path


# --- Reads ------------------------------------------------------------------------------------------


def backordered_lines(*, variant_ids: Iterable[int] | None = None) -> QuerySet[OrderLine]:
    """Lines of open orders still waiting for stock."""
    lines = OrderLine.objects.filter(quantity_backordered__gt=0, order__status__in=SERVABLE)
    if variant_ids is not None:
        lines = lines.filter(variant_id__in=set(variant_ids))
    return lines


def waiting_queue(*, variant_ids: Iterable[int] | None = None) -> list[Waiting]:
    """The backordered lines in serving order (see `queue_key`)."""
    rows = backordered_lines(variant_ids=variant_ids).values_list(
        "pk",
        "order_id",
        "variant_id",
        "order__priority",
        "order__created_at",
        "position",
        "quantity_backordered",
    )
    queue = [
        Waiting(
            line_id=pk,
            order_id=order_id,
            variant_id=variant_id,
            express=priority == Priority.EXPRESS,
            placed_at=created_at,
            position=position,
            quantity=quantity,
        )
        for pk, order_id, variant_id, priority, created_at, position, quantity in rows
    ]
    return sorted(queue, key=queue_key)


def waited_from(order: Order) -> str:
    """The status the order was in before it (last) started waiting for stock; `new` when it was placed
    straight into `awaiting_stock`."""
    event = (
        OrderEvent.objects.filter(order=order, kind=EventKind.STATUS_CHANGE, to_status=S.AWAITING_STOCK)
        .order_by("-id")
        .first()
    )
    return event.from_status if event is not None and event.from_status else S.NEW


# --- Writes -----------------------------------------------------------------------------------------


def backorders_lock(*, variant_ids: Iterable[int], skip_locked: bool = False) -> list[int]:
    """Lock (ascending id) the open orders with backordered lines of these variants; returns the ids
    locked.

    A receipt calls this before it touches stock rows, so locks are taken orders → stock, as edits and
    cancellations do. `skip_locked` leaves out orders another transaction holds right now (used once a
    caller holds stock rows: waiting there could close a cycle with an edit of a brand-new order).
    """
    ids = sorted(set(backordered_lines(variant_ids=variant_ids).values_list("order_id", flat=True)))
    if not ids:
        return []
    locked = Order.objects.select_for_update(skip_locked=skip_locked).filter(pk__in=ids).order_by("id")
    return list(locked.values_list("pk", flat=True))


@dataclass(frozen=True)
class Served:
    order_number: str
    line_id: int
    sku: str
    quantity: int
    warehouse_id: int

    def as_json(self) -> dict[str, Any]:
        return {"order": self.order_number, "line": self.line_id, "sku": self.sku, "quantity": self.quantity}


@dataclass
class BackorderResult:
    served: list[Served] = field(default_factory=list)
    # Orders that left awaiting_stock: number → the statuses they passed through.
    resumed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return sum(item.quantity for item in self.served)


def backorders_allocate(
    *, variant_ids: Iterable[int], warehouse_id: int, actor: services.Actor, reference: str = ""
) -> BackorderResult:
    """Serve backordered lines of these variants from what is available in one warehouse.

    Lines are served in queue order (express first, then the oldest order); every unit is reserved with
    `stock_reserve` (one ledger row per order and stock row), the line's allocation grows and its
    backorder shrinks, and each order served gets an `edit` event (reason `backorder_allocated`, with
    what was reserved). An order in `awaiting_stock` with nothing left backordered moves on along
    `resume_path` (events reason `stock_received`). `reference` (e.g. the purchase order number) goes
    into the events. One transaction; call it inside the caller's (a receipt) to make it one unit.
    """
    variant_ids = sorted(set(variant_ids))
    result = BackorderResult()
    if not variant_ids:
        return result
    with transaction.atomic():
        # The caller (a receipt) locked the orders it could see before touching stock; orders placed
        # since then are taken too unless another transaction holds them (they wait for the next one).
        order_ids = backorders_lock(variant_ids=variant_ids, skip_locked=True)
        if not order_ids:
            return result
        rows = list(
            StockLevel.objects.select_for_update()
            .filter(variant_id__in=variant_ids, warehouse_id=warehouse_id, warehouse__is_active=True)
            .order_by("id")
        )
        queue = [item for item in waiting_queue(variant_ids=variant_ids) if item.order_id in set(order_ids)]
        by_variant: dict[int, list[Waiting]] = defaultdict(list)
        for item in queue:
            by_variant[item.variant_id].append(item)
        takes: list[tuple[StockLevel, Waiting, int]] = []
        for row in rows:  # ascending stock id: the lock order
            for item, quantity in plan_fill(by_variant.get(row.variant_id, []), row.on_hand - row.reserved):
                takes.append((row, item, quantity))
        if not takes:
            return result

        orders = {
            order.pk: order
            for order in Order.objects.filter(pk__in={item.order_id for _r, item, _q in takes})
        }
        # What each order's promised date was worked out from, before the units arrive for it.
        promises_before = {order_id: services.promise_inputs(order) for order_id, order in orders.items()}
        lines = {
            line.pk: line
            for line in OrderLine.objects.filter(pk__in={item.line_id for _r, item, _q in takes})
        }
        served_by_order: dict[int, list[Served]] = defaultdict(list)
        for row, item, quantity in takes:
            order = orders[item.order_id]
            line = lines[item.line_id]
            stock_reserve(
                stock_id=row.pk, quantity=quantity, actor=actor, reference=services._reference(order.number)
            )
            updated = LineAllocation.objects.filter(line_id=line.pk, stock_id=row.pk).update(
                quantity=F("quantity") + quantity
            )
            if not updated:
                LineAllocation.objects.create(
                    line_id=line.pk, stock_id=row.pk, warehouse_id=row.warehouse_id, quantity=quantity
                )
            OrderLine.objects.filter(pk=line.pk, quantity_backordered__gte=quantity).update(
                quantity_backordered=F("quantity_backordered") - quantity
            )
            served = Served(
                order_number=order.number,
                line_id=line.pk,
                sku=line.sku,
                quantity=quantity,
                warehouse_id=row.warehouse_id,
            )
            served_by_order[order.pk].append(served)
            result.served.append(served)

        for order_id in sorted(served_by_order):
            order = orders[order_id]
            still_waiting = OrderLine.objects.filter(order_id=order_id, quantity_backordered__gt=0).exists()
            # Nothing left waiting: the order gets its promised date now (one promise, orders/promise.py).
            promised = services.order_promise_refresh(order, before=promises_before[order_id])
            services._event(
                order,
                kind=EventKind.EDIT,
                actor=actor,
                reason=ALLOCATED_REASON,
                note=reference,
                data={
                    "allocated": [item.as_json() for item in served_by_order[order_id]],
                    "warehouse_id": warehouse_id,
                    "reference": reference,
                    "still_backordered": still_waiting,
                    "waited_from": waited_from(order) if order.status == S.AWAITING_STOCK else "",
                    **({"promised_date": promised} if promised is not None else {}),
                },
            )
            events.record(
                "order.stock_allocated",
                order.pk,
                {
                    "number": order.number,
                    "allocated": [item.as_json() for item in served_by_order[order_id]],
                    "still_backordered": still_waiting,
                    "reference": reference,
                },
                actor=actor,
            )
            if still_waiting or order.status != S.AWAITING_STOCK:
                continue
            state = payment_domain.payment_state(payment_selectors.payment_sums(order))
            path = resume_path(
                payment_state=state,
                payment_kind=order.payment_method.kind,
                is_prepaid=order.payment_method.is_prepaid,
            )
            for status in path:
                services.order_transition(
                    order_id=order_id, to=status, actor=actor, reason=RESUMED_REASON, note=reference
                )
            result.resumed[order.number] = path
    return result


def backorders_serve_available(
    *, actor: services.Actor, variant_ids: Iterable[int] | None = None, reference: str = "stock_on_hand"
) -> BackorderResult:
    """Serve backorders from stock that is already available (units a cancellation, an edit or an
    adjustment freed; a receipt serves its own units itself): warehouse by warehouse in priority order,
    with the same queue and moves as `backorders_allocate`. One transaction."""
    waiting_variants = set(backordered_lines(variant_ids=variant_ids).values_list("variant_id", flat=True))
    result = BackorderResult()
    if not waiting_variants:
        return result
    rows = (
        StockLevel.objects.filter(
            variant_id__in=waiting_variants, warehouse__is_active=True, on_hand__gt=F("reserved")
        )
        .order_by("warehouse__priority", "warehouse_id", "id")
        .values_list("warehouse_id", "variant_id")
    )
    by_warehouse: dict[int, list[int]] = {}
    for warehouse_id, variant_id in rows:
        by_warehouse.setdefault(warehouse_id, []).append(variant_id)
    with transaction.atomic():
        for warehouse_id, variants in by_warehouse.items():
            served = backorders_allocate(
                variant_ids=variants, warehouse_id=warehouse_id, actor=actor, reference=reference
            )
            result.served += served.served
            result.resumed.update(served.resumed)
    return result
