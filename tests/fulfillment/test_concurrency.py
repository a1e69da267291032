"""Races against the real database with threads: two leads, pickers or packers on the same orders or
parcel — only one of them succeeds where only one should."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from orderloop.core.errors import DomainError
from orderloop.fulfillment import selectors, services
from orderloop.fulfillment.models import Parcel, PickTask, ScanRecord, Tote
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)


def together(count: int, work):
    """Run `work(index)` in `count` threads that start at the same moment; return outcomes."""
    barrier = threading.Barrier(count)

    def run(index: int):
        try:
            barrier.wait()
            return work(index)
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_two_leads_releasing_at_once_never_put_an_order_in_two_waves(shop, ready_order):
    orders = [ready_order(("TEE", 1), ("SOCKS", 1)) for _ in range(6)]
    results = together(
        3,
        lambda i: (
            services.wave_release(warehouse_code="kyiv", method="batch", batch_size=2, actor=None).order_count
        ),
    )
    released = [r for r in results if isinstance(r, int)]
    assert sum(released) == 6 and set(results) - set(released) <= {"nothing_to_pick"}
    assert Tote.objects.count() == 6
    assert sorted(Tote.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    assert sum(PickTask.objects.values_list("quantity", flat=True)) == 12
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PICKING}


def _picked_order(shop, ready_order, *lines):
    order = ready_order(*lines)
    wave = services.wave_release(warehouse_code="kyiv", method="single", actor=None)
    pick_list = wave.pick_lists.get()
    for row in selectors.pick_rows(pick_list):
        services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None)
    return order


def test_two_packers_scanning_the_last_unit_only_one_gets_it(shop, ready_order):
    order = _picked_order(shop, ready_order, ("TEE", 1))
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    code = shop.variants["TEE"].barcode
    results = together(4, lambda i: services.parcel_scan(parcel_id=parcel.pk, code=code, actor=None).outcome)
    assert sorted(results) == ["accepted", "too_many", "too_many", "too_many"]
    assert list(parcel.lines.values_list("quantity", flat=True)) == [1]
    assert ScanRecord.objects.filter(stage="pack", outcome="too_many").count() == 3


def test_two_packers_closing_one_parcel_only_one_packs_it(shop, ready_order):
    order = _picked_order(shop, ready_order, ("TEE", 1))
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    services.parcel_scan(parcel_id=parcel.pk, code=shop.variants["TEE"].barcode, actor=None)
    results = together(
        3,
        lambda i: (
            services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=300 + i, actor=None).status
        ),
    )
    assert sorted(results) == ["packed", "parcel_not_open", "parcel_not_open"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PACKED
    assert Parcel.objects.get(pk=parcel.pk).status == "packed"


def test_two_packers_opening_a_parcel_for_the_same_order_share_one(shop, ready_order):
    order = _picked_order(shop, ready_order, ("TEE", 2))
    results = together(
        3, lambda i: services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None).pk
    )
    assert len(set(results)) == 1
    assert Parcel.objects.filter(order=order).count() == 1


def test_a_short_pick_racing_a_pick_on_the_same_row_keeps_stock_exact(shop, ready_order):
    ready_order(("TEE", 2))
    wave = services.wave_release(warehouse_code="kyiv", method="single", actor=None)
    pick_list = wave.pick_lists.get()
    [row] = selectors.pick_rows(pick_list)

    def work(index: int):
        if index == 0:
            return services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None).units
        return services.pick_short(
            pick_list_id=pick_list.pk, stock_id=row.stock_id, found=1, actor=None
        ).short

    results = together(2, work)
    task = PickTask.objects.get()
    assert task.quantity_picked + task.quantity_short == 2
    refused = [r for r in results if isinstance(r, str)]
    assert len(refused) == 1 and refused[0] in {"pick_list_done", "pick_row_not_found"}
    assert ledger_mismatches() == []
