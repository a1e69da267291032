"""Race tests against the real database (SQLite file or PostgreSQL): many threads, one stock row."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from orderloop.core.errors import DomainError
from orderloop.inventory.errors import InsufficientStock
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust, stock_reserve

THREADS = 10


def run_together(target, count: int) -> list[object]:
    """Start `count` threads at one barrier; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = target(index)
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


@pytest.mark.django_db(transaction=True)
def test_threads_reserving_the_last_units_never_oversell(make_variant, warehouse):
    variant = make_variant("LAST-UNITS")
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)

    results = run_together(
        lambda index: stock_reserve(stock_id=stock.pk, quantity=1, actor=None, reference=f"order {index}"),
        THREADS,
    )

    succeeded = [r for r in results if isinstance(r, StockLevel)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(succeeded) == 5, results
    assert len(refused) == THREADS - 5, results
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 5, 0)
    assert StockMovement.objects.filter(stock=stock, reason="reservation").count() == 5
    assert ledger_mismatches() == []
    call_command("check_stock_ledger")


@pytest.mark.django_db(transaction=True)
def test_concurrent_removals_and_reservations_keep_the_invariant(make_variant, warehouse):
    """Removals (adjustments) racing reservations: on_hand never drops below reserved."""
    variant = make_variant("RACE-MIX")
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=6, actor=None)

    def act(index: int) -> object:
        if index % 2:
            return stock_reserve(stock_id=stock.pk, quantity=1, actor=None, reference=f"o{index}")
        return stock_adjust(variant=variant, warehouse=warehouse, delta=-1, actor=None)

    results = run_together(act, THREADS)

    assert all(isinstance(r, StockLevel | DomainError) for r in results), results
    stock.refresh_from_db()
    assert 0 <= stock.reserved <= stock.on_hand
    done = sum(isinstance(r, StockLevel) for r in results)
    assert done == 6  # every unit went exactly once, to a removal or a reservation
    assert ledger_mismatches() == []
