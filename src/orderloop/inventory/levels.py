"""Stock-level events: a change of a stock row's available quantity records `stock_level.low`, `.out` or
`.back_in_stock` only when it crosses the row's reorder point or zero (inventory/event_types.py).

Every service that changes on_hand or reserved hands its rows' quantities after the change here, in its
transaction (the UPDATE holds the row lock, which keeps the per-subject sequence safe). A change that
crosses nothing costs nothing: no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orderloop.core import events
from orderloop.core.models import DomainEvent

from .models import StockLevel
from .selectors import low_stock_threshold


@dataclass(frozen=True)
class LevelChange:
    """One stock row after a change: its quantities now and its available quantity before."""

    stock_id: int
    available_before: int
    on_hand: int
    reserved: int
    low_stock_threshold: int | None  # the row's own; None: the shop's default
    reason: str


def crossing(before: int, after: int, reorder_point: int) -> str | None:
    """Which line a change of available stock from `before` to `after` crosses, if any: running out wins
    over falling low; coming back from zero is `back_in_stock` even when still low."""
    if before > 0 >= after:
        return "out"
    if before <= 0 < after:
        return "back_in_stock"
    if before > reorder_point >= after:
        return "low"
    return None


def record_crossings(changes: Iterable[LevelChange], *, actor: Any = None) -> list[DomainEvent]:
    """Record an event for each change that crosses a line (rows locked by the caller's UPDATE)."""
    default = low_stock_threshold()
    crossed: list[tuple[LevelChange, int, str]] = []
    for change in changes:
        point = default if change.low_stock_threshold is None else change.low_stock_threshold
        kind = crossing(change.available_before, change.on_hand - change.reserved, point)
        if kind is not None:
            crossed.append((change, point, kind))
    if not crossed:
        return []
    names = {
        pk: (sku, code)
        for pk, sku, code in StockLevel.objects.filter(
            pk__in=[c.stock_id for c, _p, _k in crossed]
        ).values_list("pk", "variant__sku", "warehouse__code")
    }
    return events.record_many(
        events.NewEvent(
            type=f"stock_level.{kind}",
            subject_id=change.stock_id,
            data={
                "sku": names[change.stock_id][0],
                "warehouse": names[change.stock_id][1],
                "available": change.on_hand - change.reserved,
                "on_hand": change.on_hand,
                "reserved": change.reserved,
                "reorder_point": point,
                "previous_available": change.available_before,
                "reason": change.reason,
            },
            actor=actor,
        )
        for change, point, kind in crossed
    )
