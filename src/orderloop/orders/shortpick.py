"""A short pick: units of a line were not found in their bin. The orders area moves the line's
reservation, because allocations are its rows (fulfilment calls this inside its own transaction).

One transaction, the order row locked first, then the variant's stock rows in ascending id order (the
order editing.py uses). The missing units leave the bin's stock row: the reservation is released and
the units are written off on_hand (an `adjustment` ledger row "short pick"; a later count corrects it
if they turn up), so no other order is promised them. Then they are reserved in another warehouse
that has them (warehouses the order already ships from first, then by priority); what no warehouse
has is backordered on the line. One `edit` event on the order's timeline says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import MovementReason
from orderloop.inventory.services import stock_adjust, stock_release, stock_reserve

from . import editing, services
from .allocation import LineDemand, plan_allocation
from .models import EventKind, LineAllocation, OrderLine
from .services import Actor


@dataclass
class ShortPickOutcome:
    # (warehouse code, stock id, units) reserved elsewhere
    reallocated: list[tuple[str, int, int]] = field(default_factory=list)
    backordered: int = 0


def line_short_pick(
    *,
    order_id: int,
    line_id: int,
    stock_id: int,
    quantity: int,
    actor: Actor,
    bin_code: str = "",
    reason: str = "not_found",
) -> ShortPickOutcome:
    """`quantity` units of the line reserved on `stock_id` were not found: write them off there and
    re-allocate them to another warehouse, or backorder them. Raises InvalidInput (422) when the line
    holds fewer units on that stock row."""
    if isinstance(quantity, bool) or quantity < 1:
        raise InvalidInput(details={"quantity": _("Must be at least 1.")})
    with transaction.atomic():
        order = services._locked(order_id)
        line = OrderLine.objects.select_related("variant").filter(pk=line_id, order=order).first()
        if line is None:
            raise editing.OrderLineNotFound(details={"line_id": line_id})
        source = (
            LineAllocation.objects.select_related("warehouse").filter(line=line, stock_id=stock_id).first()
        )
        if source is None or source.quantity < quantity:
            raise InvalidInput(
                details={
                    "quantity": ngettext(
                        "Only %(n)s unit of this line is reserved there.",
                        "Only %(n)s units of this line are reserved there.",
                        source.quantity if source else 0,
                    )
                    % {"n": source.quantity if source else 0}
                }
            )
        rows = editing._lock_stock(variant_ids={line.variant_id}, stock_ids={stock_id})
        reference = services._reference(order.number)
        stock_release(stock_id=stock_id, quantity=quantity, actor=actor, reference=reference)
        stock_adjust(
            variant=line.variant,
            warehouse=source.warehouse,
            delta=-quantity,
            reason=MovementReason.ADJUSTMENT,
            actor=actor,
            reference=reference,
            note=f"short pick: not found in bin {bin_code}".strip()[:255],
        )
        if source.quantity == quantity:
            source.delete()
        else:
            LineAllocation.objects.filter(pk=source.pk).update(quantity=F("quantity") - quantity)

        kept = set(
            LineAllocation.objects.filter(line__order=order).values_list("warehouse_id", flat=True).distinct()
        )
        candidates = [row for row in rows if row.pk != stock_id]
        options = editing._options(candidates, ops=editing._StockOps(), preferred_warehouses=kept)
        strategy = str(services._order_setting("ALLOCATION_STRATEGY", "priority"))
        plan = plan_allocation(
            [LineDemand(variant_id=line.variant_id, quantity=quantity)], options, strategy
        )[0]
        by_id = {row.pk: row for row in rows}
        outcome = ShortPickOutcome(backordered=plan.short)
        for target_id, take in plan.takes:  # ascending stock id
            stock_reserve(stock_id=target_id, quantity=take, actor=actor, reference=reference)
            if not LineAllocation.objects.filter(line=line, stock_id=target_id).update(
                quantity=F("quantity") + take
            ):
                LineAllocation.objects.create(
                    line=line, stock_id=target_id, warehouse_id=by_id[target_id].warehouse_id, quantity=take
                )
            outcome.reallocated.append((by_id[target_id].warehouse.code, target_id, take))
        if plan.short:
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_backordered=F("quantity_backordered") + plan.short
            )
        changes = [
            {
                "action": "short_pick",
                "position": line.position,
                "sku": line.sku,
                "warehouse": source.warehouse.code,
                "bin": bin_code,
                "quantity": quantity,
                "reallocated": [
                    {"warehouse": code, "quantity": take} for code, _sid, take in outcome.reallocated
                ],
                "backordered": plan.short,
            }
        ]
        services._record_edit(order, actor=actor, reason=reason, changes=changes, backordered=plan.short)
        services._event(
            order,
            kind=EventKind.EDIT,
            actor=actor,
            reason=reason,
            data={
                "changes": changes,
                "stock": [
                    {
                        "warehouse": source.warehouse.code,
                        "stock_id": stock_id,
                        "reserved": -quantity,
                        "on_hand": -quantity,
                    },
                    *[
                        {"warehouse": code, "stock_id": sid, "reserved": take}
                        for code, sid, take in outcome.reallocated
                    ],
                ],
            },
        )
        return outcome
