from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from orderloop.inventory.errors import InsufficientStock, InvalidQuantity, StockBelowReserved
from orderloop.inventory.models import MovementReason, StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust, stock_count, stock_release, stock_reserve


@pytest.fixture
def variant(make_variant):
    return make_variant("TEE-M-RED")


def test_adjustment_changes_on_hand_and_writes_one_ledger_row(variant, warehouse):
    stock = stock_adjust(
        variant=variant, warehouse=warehouse, delta=10, reason=MovementReason.RECEIPT, actor=None
    )
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 0, 10)
    movement = StockMovement.objects.get(stock=stock)
    assert (movement.reason, movement.on_hand_delta, movement.on_hand_after) == ("receipt", 10, 10)
    assert ledger_mismatches() == []


def test_on_hand_cannot_drop_below_reserved(variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    stock_reserve(stock_id=stock.pk, quantity=3, actor=None, reference="order 1")
    with pytest.raises(StockBelowReserved) as excinfo:
        stock_adjust(variant=variant, warehouse=warehouse, delta=-3, actor=None)
    assert excinfo.value.details["reserved"] == 3
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (5, 3)
    assert StockMovement.objects.filter(stock=stock).count() == 2  # refused change left no row
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=-2, actor=None)
    assert (stock.on_hand, stock.available) == (3, 0)


def test_reserve_refuses_more_than_available_and_release_gives_back(variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=2, actor=None)
    stock_reserve(stock_id=stock.pk, quantity=2, actor=None, reference="A")
    with pytest.raises(InsufficientStock):
        stock_reserve(stock_id=stock.pk, quantity=1, actor=None, reference="B")
    stock = stock_release(stock_id=stock.pk, quantity=1, actor=None, reference="A")
    assert (stock.reserved, stock.available) == (1, 1)
    with pytest.raises(InvalidQuantity):
        stock_release(stock_id=stock.pk, quantity=5, actor=None, reference="A")
    assert ledger_mismatches() == []


def test_count_records_the_difference(variant, warehouse):
    stock_adjust(variant=variant, warehouse=warehouse, delta=10, actor=None)
    stock = stock_count(variant=variant, warehouse=warehouse, counted=7, actor=None, note="aisle 3")
    assert stock.on_hand == 7
    last = StockMovement.objects.filter(stock=stock).first()
    assert (last.reason, last.on_hand_delta) == ("count", -3)
    assert ledger_mismatches() == []


def test_database_refuses_reserved_above_on_hand(variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=1, actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=stock.pk).update(reserved=2)


def test_check_stock_ledger_command_detects_tampering(variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=4, actor=None)
    call_command("check_stock_ledger")
    StockLevel.objects.filter(pk=stock.pk).update(on_hand=9)  # a write that bypassed the services
    with pytest.raises(CommandError, match="1 stock row"):
        call_command("check_stock_ledger")
