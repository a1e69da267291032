"""Stock-level events: a stock row records stock_level.low / .out / .back_in_stock only when its available
quantity (on hand − reserved) crosses its reorder point or zero, in either direction, through any service
that moves stock; movements that cross nothing, and refused or rolled-back changes, record nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from orderloop.core.events import events_of
from orderloop.core.models import DomainEvent
from orderloop.inventory.errors import InsufficientStock
from orderloop.inventory.levels import crossing
from orderloop.inventory.models import StockLevel
from orderloop.inventory.services import (
    stock_adjust,
    stock_count,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_ship,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(make_variant):
    return make_variant("TEE-M-RED")


@pytest.fixture
def row(variant, warehouse):
    """10 on hand, reorder point 4 (the row's own threshold)."""
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=10, actor=None)
    StockLevel.objects.filter(pk=stock.pk).update(low_stock_threshold=4)
    DomainEvent.objects.all().delete()  # the first receipt came back from zero: not what these tests watch
    return stock


def types(stock) -> list[str]:
    return [event.type for event in events_of("stock_level", stock.pk)]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (10, 5, None),  # above the reorder point on both sides
        (10, 4, "low"),  # down to the point
        (5, 1, "low"),
        (4, 2, None),  # already low
        (3, 0, "out"),
        (10, 0, "out"),  # running out wins over falling low
        (0, 0, None),
        (0, 2, "back_in_stock"),  # still low, but back
        (0, 9, "back_in_stock"),
        (2, 9, None),  # recovering above the point is no event
    ],
)
def test_only_a_crossing_names_an_event(before, after, expected):
    assert crossing(before, after, 4) == expected


def test_reservations_cross_low_then_out_and_releases_bring_it_back(row):
    stock_reserve(stock_id=row.pk, quantity=3, actor=None, reference="order 1")  # 10 → 7
    assert types(row) == []
    stock_reserve(stock_id=row.pk, quantity=3, actor=None, reference="order 2")  # 7 → 4
    assert types(row) == ["stock_level.low"]
    stock_reserve(stock_id=row.pk, quantity=2, actor=None, reference="order 3")  # 4 → 2: still low
    assert types(row) == ["stock_level.low"]
    stock_reserve(stock_id=row.pk, quantity=2, actor=None, reference="order 4")  # 2 → 0
    assert types(row) == ["stock_level.low", "stock_level.out"]
    stock_release(stock_id=row.pk, quantity=2, actor=None, reference="order 4")  # 0 → 2
    assert types(row) == ["stock_level.low", "stock_level.out", "stock_level.back_in_stock"]
    stock_release(stock_id=row.pk, quantity=6, actor=None, reference="order 2")  # 2 → 8: no event
    stock_reserve(stock_id=row.pk, quantity=5, actor=None, reference="order 5")  # 8 → 3: low again
    assert types(row)[-1] == "stock_level.low" and len(types(row)) == 4

    low = events_of("stock_level", row.pk)[-1]
    assert low.data == {
        "sku": "TEE-M-RED",
        "warehouse": "kyiv",
        "available": 3,
        "on_hand": 10,
        "reserved": 7,
        "reorder_point": 4,
        "previous_available": 8,
        "reason": "reservation",
    }
    assert [event.sequence for event in events_of("stock_level", row.pk)] == [1, 2, 3, 4]


def test_adjustments_counts_and_receipts_cross_both_ways(row, variant, warehouse):
    stock_adjust(variant=variant, warehouse=warehouse, delta=-6, actor=None)  # 10 → 4
    stock_count(variant=variant, warehouse=warehouse, counted=0, actor=None)  # 4 → 0
    stock_receive(variant=variant, warehouse=warehouse, quantity=12, actor=None)  # 0 → 12
    stock_adjust(variant=variant, warehouse=warehouse, delta=-1, actor=None)  # 12 → 11: nothing
    assert types(row) == ["stock_level.low", "stock_level.out", "stock_level.back_in_stock"]
    assert [event.data["reason"] for event in events_of("stock_level", row.pk)] == [
        "adjustment",
        "count",
        "receipt",
    ]


def test_shipping_reserved_units_changes_nothing_available(row):
    stock_reserve(stock_id=row.pk, quantity=10, actor=None, reference="order 1")  # 10 → 0
    assert types(row) == ["stock_level.out"]
    stock_ship(stock_id=row.pk, quantity=10, actor=None, reference="order 1")  # on hand 0, available 0
    assert types(row) == ["stock_level.out"]


def test_the_shops_default_reorder_point_applies_to_a_row_without_its_own(variant, warehouse, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "LOW_STOCK_THRESHOLD": 2}
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)  # 0 → 5
    stock_reserve(stock_id=stock.pk, quantity=2, actor=None, reference="order 1")  # 5 → 3
    stock_reserve(stock_id=stock.pk, quantity=1, actor=None, reference="order 2")  # 3 → 2
    assert types(stock) == ["stock_level.back_in_stock", "stock_level.low"]
    assert events_of("stock_level", stock.pk)[-1].data["reorder_point"] == 2


def test_a_refused_or_rolled_back_change_records_nothing(row):
    with pytest.raises(InsufficientStock):
        stock_reserve(stock_id=row.pk, quantity=11, actor=None, reference="order 1")
    with pytest.raises(RuntimeError), transaction.atomic():
        stock_reserve(stock_id=row.pk, quantity=10, actor=None, reference="order 2")
        raise RuntimeError("the order failed after reserving")
    assert types(row) == []
    row.refresh_from_db()
    assert row.available == 10
