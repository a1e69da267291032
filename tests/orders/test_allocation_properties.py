"""Allocation strategies over generated stock and orders: never more than a row has, never oversold,
short only by what no warehouse has, one warehouse when one can serve the whole order."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from orderloop.orders.allocation import (
    PRIORITY,
    SINGLE_WAREHOUSE,
    LineDemand,
    StockOption,
    plan_allocation,
)

VARIANTS = [1, 2, 3]
WAREHOUSES = {10: 1, 20: 2, 30: 2}  # id → priority (two share a priority: ties break by id)


@st.composite
def stock_rows(draw: st.DrawFn) -> list[StockOption]:
    rows = []
    stock_id = 100
    for warehouse_id, priority in WAREHOUSES.items():
        for variant_id in VARIANTS:
            if draw(st.booleans()):
                stock_id += 1
                available = draw(st.integers(min_value=-2, max_value=6))  # oversold rows show up negative
                rows.append(StockOption(stock_id, variant_id, warehouse_id, priority, available))
    return rows


order_lines = st.lists(
    st.builds(LineDemand, variant_id=st.sampled_from(VARIANTS), quantity=st.integers(1, 8)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(stocks=stock_rows(), lines=order_lines, strategy=st.sampled_from([PRIORITY, SINGLE_WAREHOUSE]))
def test_a_plan_never_takes_more_than_a_row_has_and_is_short_only_by_what_nobody_has(
    stocks: list[StockOption], lines: list[LineDemand], strategy: str
) -> None:
    plans = plan_allocation(lines, stocks, strategy)
    by_id = {s.stock_id: s for s in stocks}
    taken: dict[int, int] = defaultdict(int)
    for line, plan in zip(lines, plans, strict=True):
        assert plan.quantity == line.quantity and 0 <= plan.reserved <= line.quantity
        assert [stock for stock, _ in plan.takes] == sorted(stock for stock, _ in plan.takes)
        for stock_id, quantity in plan.takes:
            assert quantity > 0 and by_id[stock_id].variant_id == line.variant_id
            taken[stock_id] += quantity
    for stock_id, quantity in taken.items():
        assert quantity <= by_id[stock_id].available  # never oversold
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        demand[line.variant_id] += line.quantity
    for variant_id, wanted in demand.items():
        available = sum(max(s.available, 0) for s in stocks if s.variant_id == variant_id)
        short = sum(p.short for line, p in zip(lines, plans, strict=True) if line.variant_id == variant_id)
        assert short == max(0, wanted - available)


@settings(max_examples=300, deadline=None)
@given(stocks=stock_rows(), lines=order_lines)
def test_single_warehouse_ships_from_the_first_warehouse_that_can_serve_everything(
    stocks: list[StockOption], lines: list[LineDemand]
) -> None:
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        demand[line.variant_id] += line.quantity
    can_serve = [
        warehouse_id
        for warehouse_id in sorted(WAREHOUSES, key=lambda w: (WAREHOUSES[w], w))
        if all(
            sum(max(s.available, 0) for s in stocks if s.warehouse_id == warehouse_id and s.variant_id == v)
            >= q
            for v, q in demand.items()
        )
    ]
    plans = plan_allocation(lines, stocks, SINGLE_WAREHOUSE)
    used = {
        next(s for s in stocks if s.stock_id == stock_id).warehouse_id
        for p in plans
        for stock_id, _ in p.takes
    }
    if can_serve:
        assert used == {can_serve[0]} and all(p.short == 0 for p in plans)
    else:
        # No warehouse alone can: it splits as `priority` does.
        assert plans == plan_allocation(lines, stocks, PRIORITY)
