"""Races against the real database (SQLite file or PostgreSQL) with threads: two staff inspecting or
refunding the same return never restock twice nor refund twice; credit note numbers have no gaps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from orderloop.core.errors import DomainError
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.payments.models import Refund
from orderloop.returns import services
from orderloop.returns.models import CreditNote, Inspection, ReturnRequest

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6


def run_in_threads(count: int, work: Any) -> list[Any]:
    def guarded(index: int) -> Any:
        try:
            return work(index)
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(guarded, range(count)))


def _received(order: Any, quantity: int = 2) -> ReturnRequest:
    rma = services.return_open(
        order_id=order.pk,
        lines=[
            services.LineInput(order_line_id=order.lines.get().pk, quantity=quantity, reason="wrong_size")
        ],
        method="post",
        channel="portal",
        actor=None,
    )
    return services.return_receive(rma_id=rma.pk, actor=None)


def test_two_inspectors_at_once_restock_once(delivered: Any) -> None:
    rma = _received(delivered(("TEE-S", 2)))
    line = rma.lines.get()

    def inspect(_index: int) -> str:
        services.return_inspect(
            rma_id=rma.pk,
            items=[services.InspectionInput(line_id=line.pk, quantity=2, grade="as_new")],
            actor=None,
        )
        return "inspected"

    results = run_in_threads(WORKERS, inspect)
    assert results.count("inspected") == 1
    assert set(results) == {"inspected", "invalid_return_transition"}
    assert Inspection.objects.count() == 1
    assert StockLevel.objects.get(variant__sku="TEE-S").on_hand == 10
    assert StockMovement.objects.filter(reason="return").count() == 1
    assert ledger_mismatches() == []


def test_two_refunds_at_once_refund_once(card_delivered: Any, fake_stripe: Any) -> None:
    order = card_delivered(("TEE-S", 2))
    rma = _received(order, quantity=1)
    services.return_inspect(
        rma_id=rma.pk,
        items=[services.InspectionInput(line_id=rma.lines.get().pk, quantity=1, grade="good")],
        actor=None,
    )

    def refund(_index: int) -> str:
        services.return_refund(rma_id=rma.pk, actor=None)
        return "refunded"

    results = run_in_threads(WORKERS, refund)
    assert results.count("refunded") == 1
    assert set(results) == {"refunded", "invalid_return_transition"}
    (row,) = Refund.objects.filter(order=order)
    assert (row.amount, row.status) == (Decimal("100.00"), "succeeded")
    assert len(fake_stripe.calls("POST", "/v1/refunds")) == 1
    assert CreditNote.objects.count() == 1


def test_credit_note_numbers_have_no_gaps_under_concurrency(delivered: Any) -> None:
    rmas = []
    for _n in range(6):
        rma = _received(delivered(("TEE-M", 1), method="bank_transfer"), quantity=1)
        services.return_inspect(
            rma_id=rma.pk,
            items=[services.InspectionInput(line_id=rma.lines.get().pk, quantity=1, grade="good")],
            actor=None,
        )
        rmas.append(rma)

    def refund(index: int) -> str:
        services.return_refund(
            rma_id=rmas[index].pk, actor=None, bank_iban="SE4550000000058398257466", bank_holder="Olena"
        )
        return "refunded"

    assert run_in_threads(len(rmas), refund) == ["refunded"] * len(rmas)
    assert sorted(CreditNote.objects.values_list("sequence", flat=True)) == list(range(1, len(rmas) + 1))
