"""Which warehouse reserves what: pure allocation strategies, no ORM.

The caller reads the candidate stock rows under lock, asks for a plan, then reserves exactly the plan
with conditional updates in ascending stock id order. The strategy is chosen in settings:
`ORDERLOOP["ALLOCATION_STRATEGY"]`:

- `priority`: fill each line from warehouses in priority order (lower number first), splitting a line
  across warehouses when one does not have enough.
- `single_warehouse`: ship everything from the first warehouse (by priority) that can cover every line;
  only when none can, split as `priority` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

PRIORITY = "priority"
SINGLE_WAREHOUSE = "single_warehouse"
STRATEGIES = (PRIORITY, SINGLE_WAREHOUSE)


@dataclass(frozen=True)
class StockOption:
    stock_id: int
    variant_id: int
    warehouse_id: int
    warehouse_priority: int
    available: int


@dataclass(frozen=True)
class LineDemand:
    variant_id: int
    quantity: int


@dataclass
class LinePlan:
    quantity: int
    # (stock_id, quantity), ascending stock_id
    takes: list[tuple[int, int]] = field(default_factory=list)

    @property
    def reserved(self) -> int:
        return sum(quantity for _stock, quantity in self.takes)

    @property
    def short(self) -> int:
        return self.quantity - self.reserved


def options_from_rows(rows: Iterable[Any]) -> list[StockOption]:
    """Stock rows (anything with pk, variant_id, warehouse_id, warehouse.priority and available) as the
    strategy's candidates, ranked by their warehouse's priority."""
    return [
        StockOption(
            stock_id=row.pk,
            variant_id=row.variant_id,
            warehouse_id=row.warehouse_id,
            warehouse_priority=row.warehouse.priority,
            available=row.available,
        )
        for row in rows
    ]


def _ranked(stocks: list[StockOption]) -> list[StockOption]:
    return sorted(stocks, key=lambda s: (s.warehouse_priority, s.warehouse_id, s.stock_id))


def _fill_by_priority(
    lines: list[LineDemand], stocks: list[StockOption], remaining: dict[int, int]
) -> list[LinePlan]:
    by_variant: dict[int, list[StockOption]] = defaultdict(list)
    for stock in _ranked(stocks):
        by_variant[stock.variant_id].append(stock)
    plans = []
    for line in lines:
        plan = LinePlan(quantity=line.quantity)
        needed = line.quantity
        for stock in by_variant[line.variant_id]:
            if needed == 0:
                break
            take = min(needed, remaining[stock.stock_id])
            if take > 0:
                plan.takes.append((stock.stock_id, take))
                remaining[stock.stock_id] -= take
                needed -= take
        plan.takes.sort()
        plans.append(plan)
    return plans


def _single_warehouse(lines: list[LineDemand], stocks: list[StockOption]) -> int | None:
    """The first warehouse (by priority) that can cover every line on its own."""
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        demand[line.variant_id] += line.quantity
    available: dict[tuple[int, int], int] = defaultdict(int)
    warehouses: dict[int, int] = {}
    for stock in stocks:
        available[(stock.warehouse_id, stock.variant_id)] += stock.available
        warehouses[stock.warehouse_id] = stock.warehouse_priority
    for warehouse_id in sorted(warehouses, key=lambda w: (warehouses[w], w)):
        if all(available[(warehouse_id, variant)] >= qty for variant, qty in demand.items()):
            return warehouse_id
    return None


def plan_allocation(
    lines: list[LineDemand], stocks: list[StockOption], strategy: str = PRIORITY
) -> list[LinePlan]:
    """One plan per line (same order). A line's `short` is what no warehouse could reserve."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown allocation strategy {strategy!r}; choose one of {STRATEGIES}")
    stocks = [stock for stock in stocks if stock.available > 0]
    remaining = {stock.stock_id: stock.available for stock in stocks}
    if strategy == SINGLE_WAREHOUSE:
        warehouse_id = _single_warehouse(lines, stocks)
        if warehouse_id is not None:
            only_there = [stock for stock in stocks if stock.warehouse_id == warehouse_id]
            return _fill_by_priority(lines, only_there, remaining)
    return _fill_by_priority(lines, stocks, remaining)


def available_by_variant(stocks: list[StockOption]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for stock in stocks:
        totals[stock.variant_id] += max(stock.available, 0)
    return dict(totals)
