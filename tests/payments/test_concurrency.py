"""Races against the real database (SQLite file or PostgreSQL), with threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.test import Client

from orderloop.core.services import api_token_create, staff_user_get_or_create
from orderloop.payments import services
from orderloop.payments.models import Invoice, InvoiceCounter, Payment

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 8


def run_in_threads(count: int, work):
    def guarded(index: int):
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(guarded, range(count)))


def test_invoice_numbers_have_no_gaps_under_concurrency_and_rollbacks(make_order):
    orders = [make_order("bank_transfer") for _ in range(24)]

    def issue(index: int) -> str:
        order_id = orders[index].pk
        if index % 4 == 3:  # every fourth issuing transaction fails after taking a number
            try:
                with transaction.atomic():
                    services.invoice_issue(order_id=order_id, actor=None)
                    raise RuntimeError("rolled back")
            except RuntimeError:
                return "rolled_back"
        return services.invoice_issue(order_id=order_id, actor=None).number

    results = run_in_threads(len(orders), issue)

    assert results.count("rolled_back") == 6
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 19))  # 18 invoices, numbered 1..18: no gaps, no duplicates
    (counter,) = InvoiceCounter.objects.all()
    assert counter.last_number == 18


def test_concurrent_identical_transfer_posts_record_one_payment(make_order, roles):
    order = make_order("bank_transfer", confirm=True)
    user, _ = staff_user_get_or_create(username="race-manager", role="Manager")
    token = api_token_create(user=user, name="race").plaintext

    def send(_index: int) -> int:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(
            f"/api/v1/payments/orders/{order.number}/transfers",
            data=json.dumps({"amount": "220.00", "reference": "SAME"}),
            content_type="application/json",
            headers={"Idempotency-Key": "race-1"},
        )
        return response.status_code

    statuses = run_in_threads(8, send)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert Payment.objects.count() == 1


def test_concurrent_cod_collections_never_exceed_the_total(make_order):
    order = make_order("cod")

    def collect(_index: int) -> str:
        try:
            services.payment_record_cod_collected(order_id=order.pk, amount="100.00", actor=None)
            return "ok"
        except Exception as exc:  # AmountTooLarge / NothingDue
            return type(exc).__name__

    results = run_in_threads(6, collect)
    assert results.count("ok") == 2  # 220.00: two of 100.00 fit, the third does not
    assert sum(p.amount for p in Payment.objects.all()) == 200
