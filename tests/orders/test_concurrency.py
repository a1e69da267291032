"""Races against the real database (SQLite file or PostgreSQL), with threads: the invariants hold."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from orderloop.core.services import api_token_create
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders import services
from orderloop.orders.errors import InsufficientStock
from orderloop.orders.models import LineAllocation, Order

from .helpers import customer, payload, place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("methods")]

WORKERS = 16


def run_in_threads(count: int, work):
    def guarded(index: int):
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(guarded, range(count)))


def test_100_orders_for_30_units_exactly_30_succeed(stocked):
    stocked("HOT", 30)

    def attempt(index: int) -> str:
        try:
            place(("HOT", 1), customer=customer(name=f"Buyer {index}"))
            return "ok"
        except InsufficientStock:
            return "insufficient_stock"

    results = run_in_threads(100, attempt)
    assert results.count("ok") == 30
    assert results.count("insufficient_stock") == 70
    stock = StockLevel.objects.get(variant__sku="HOT")
    assert (stock.on_hand, stock.reserved) == (30, 30)
    assert Order.objects.count() == 30
    assert sum(LineAllocation.objects.values_list("quantity", flat=True)) == 30
    numbers = sorted(int(n) for n in Order.objects.values_list("number", flat=True))
    assert numbers == list(range(1001, 1031))  # no gaps, no duplicates
    assert ledger_mismatches() == []


def test_concurrent_orders_on_two_skus_in_opposite_order_do_not_deadlock(stocked):
    stocked("A", 40)
    stocked("B", 40)

    def attempt(index: int) -> str:
        lines = [("A", 1), ("B", 1)] if index % 2 else [("B", 1), ("A", 1)]
        place(*lines)
        return "ok"

    assert run_in_threads(40, attempt).count("ok") == 40
    assert list(StockLevel.objects.order_by("variant__sku").values_list("reserved", flat=True)) == [40, 40]
    assert ledger_mismatches() == []


def test_concurrent_duplicates_with_one_idempotency_key_create_one_order(stocked, make_staff):
    stocked("TEE", 50)
    token = api_token_create(user=make_staff("Manager", username="integration"), name="shop").plaintext
    body = json.dumps(payload(("TEE", 2)))

    def attempt(index: int):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/orders",
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": "same-key"},
        )
        return response.status_code, response.json()

    results = run_in_threads(16, attempt)
    assert {status for status, _ in results} == {201}
    assert {data["number"] for _, data in results} == {"1001"}
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 2
    assert ledger_mismatches() == []


def test_concurrent_duplicates_of_one_external_ref_create_one_order(stocked):
    stocked("TEE", 50)

    def attempt(index: int) -> str:
        try:
            place(("TEE", 1), channel="marketplace", external_ref="PROM-1")
            return "ok"
        except services.DuplicateExternalRef:
            return "duplicate"

    results = run_in_threads(16, attempt)
    assert results.count("ok") == 1 and results.count("duplicate") == 15
    assert StockLevel.objects.get().reserved == 1
    assert ledger_mismatches() == []


def test_cancel_returns_stock_while_others_order(stocked):
    stocked("TEE", 20)
    first_ten = [place(("TEE", 1)) for _ in range(10)]

    def work(index: int) -> str:
        if index < 10:
            services.order_cancel(order_id=first_ten[index].pk, actor=None, reason="test")
            return "cancelled"
        try:
            place(("TEE", 1))
            return "ok"
        except InsufficientStock:
            return "insufficient_stock"

    results = run_in_threads(30, work)
    placed = results.count("ok")
    assert results.count("cancelled") == 10
    assert 10 <= placed <= 20
    stock = StockLevel.objects.get()
    assert stock.reserved == placed
    assert ledger_mismatches() == []
    assert StockMovement.objects.filter(reason="release").count() == 10
    live = Order.objects.exclude(status="cancelled")
    for order in live:
        services.order_cancel(order_id=order.pk, actor=None, reason="cleanup")
    stock.refresh_from_db()
    assert stock.reserved == 0
    assert ledger_mismatches() == []


def test_two_api_requests_for_the_last_unit_place_one_order(stocked, make_staff):
    stocked("LAST", 1)
    token = api_token_create(user=make_staff("Manager", username="integration"), name="shop").plaintext

    def attempt(index: int) -> int:
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/orders",
            data=json.dumps(payload(("LAST", 1))),
            content_type="application/json",
            headers={"Idempotency-Key": f"buyer-{index}"},
        )
        return response.status_code

    assert sorted(run_in_threads(2, attempt)) == [201, 409]
    stock = StockLevel.objects.get()
    assert (stock.on_hand, stock.reserved) == (1, 1)
    assert StockMovement.objects.filter(reason="reservation").count() == 1
    assert ledger_mismatches() == []


def test_a_retry_racing_its_first_request_for_the_last_unit_gets_the_first_answer(stocked, make_staff):
    stocked("LAST", 1)
    token = api_token_create(user=make_staff("Manager", username="integration"), name="shop").plaintext
    body = json.dumps(payload(("LAST", 1)))

    def attempt(index: int):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/orders", data=body, content_type="application/json", headers={"Idempotency-Key": "retry"}
        )
        return response.status_code, response.json()

    results = run_in_threads(2, attempt)
    assert [status for status, _ in results] == [201, 201]
    assert results[0][1]["number"] == results[1][1]["number"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get().reserved == 1
    assert ledger_mismatches() == []


def test_orders_of_several_lines_racing_for_the_last_units_never_oversell(stocked):
    stocked("A", 3)
    stocked("B", 3)

    def attempt(index: int) -> str:
        lines = [("A", 1), ("B", 1)] if index % 2 else [("B", 1), ("A", 1)]
        try:
            place(*lines, customer=customer(name=f"Buyer {index}"))
            return "ok"
        except InsufficientStock:
            return "insufficient_stock"

    results = run_in_threads(8, attempt)
    assert results.count("ok") == 3
    assert [(s.on_hand, s.reserved) for s in StockLevel.objects.order_by("variant__sku")] == [(3, 3), (3, 3)]
    assert StockMovement.objects.filter(reason="reservation").count() == 6
    assert ledger_mismatches() == []
