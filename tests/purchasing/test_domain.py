"""Pure rules of purchasing (no database): rounding, the reorder formula, the status table, receipts,
price-list CSV parsing, and the backorder queue and resume rule of orders/backorders.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderloop.orders.backorders import Waiting, plan_fill, resume_path
from orderloop.orders.models import OrderStatus
from orderloop.purchasing import domain
from orderloop.purchasing.domain import ReorderInputs
from orderloop.purchasing.models import PurchaseOrderStatus as PO


@pytest.mark.parametrize(
    ("need", "moq", "pack", "expected"),
    [
        (0, 10, 6, 0),  # nothing needed, nothing ordered
        (-3, 10, 6, 0),
        (3, 1, 1, 3),
        (3, 10, 1, 10),  # up to the MOQ
        (3, 10, 6, 12),  # MOQ 10, then whole packs of 6
        (13, 10, 6, 18),
        (12, 10, 6, 12),
        (7, 1, 5, 10),
        (25, 24, 12, 36),
    ],
)
def test_order_quantity_is_rounded_to_moq_then_pack_size(
    need: int, moq: int, pack: int, expected: int
) -> None:
    assert domain.round_order_quantity(need, moq=moq, pack_size=pack) == expected


def test_reorder_point_on_known_data() -> None:
    # 56 units in 28 days = 2/day; 10 days' lead time; 8 safety stock → ⌈20⌉ + 8 = 28.
    velocity = domain.sales_velocity(56, 28)
    assert velocity == Decimal("2.000")
    assert domain.reorder_point(velocity=velocity, lead_time_days=10, safety_stock=8) == 28
    # 10 units in 28 days: 0.357/day × 10 days = 3.57 → 4 (rounded up), + 0 safety stock.
    assert (
        domain.reorder_point(velocity=domain.sales_velocity(10, 28), lead_time_days=10, safety_stock=0) == 4
    )
    assert domain.sales_velocity(-5, 28) == 0, "more released than reserved is no negative demand"


def test_advice_for_a_reorder_point_rule() -> None:
    inputs = ReorderInputs(
        method="reorder_point",
        available=14,
        incoming=10,
        on_draft=0,
        backordered=0,
        sold_units=56,
        velocity_days=28,
        lead_time_days=10,
        safety_stock=8,
        review_days=14,
        moq=25,
        pack_size=12,
    )
    advice = domain.advise(inputs)
    assert (advice.position, advice.trigger, advice.target) == (24, 28, 56)
    assert advice.needed and advice.raw_quantity == 32 and advice.quantity == 36
    # Above the reorder point: nothing to order.
    calm = domain.advise(ReorderInputs(**{**inputs.__dict__, "available": 19}))
    assert calm.position == 29 and not calm.needed and calm.quantity == 0


def test_advice_for_min_max_counts_drafts_and_backorders() -> None:
    base = {
        "method": "min_max",
        "min_quantity": 10,
        "max_quantity": 40,
        "incoming": 0,
        "moq": 1,
        "pack_size": 6,
    }
    assert (
        domain.advise(ReorderInputs(available=4, on_draft=5, backordered=0, **base)).quantity == 36
    )  # 40 − 9 = 31 → 36
    assert not domain.advise(ReorderInputs(available=6, on_draft=5, backordered=0, **base)).needed
    waiting = domain.advise(ReorderInputs(available=0, on_draft=0, backordered=7, **base))
    assert waiting.position == -7 and waiting.raw_quantity == 47 and waiting.quantity == 48


def test_backorders_without_a_rule_bring_the_position_back_to_zero() -> None:
    inputs = ReorderInputs(
        method=domain.BACKORDERS_ONLY, available=0, incoming=1, on_draft=0, backordered=4, moq=5, pack_size=1
    )
    advice = domain.advise(inputs)
    assert advice.needed and advice.raw_quantity == 3 and advice.quantity == 5
    covered = domain.advise(ReorderInputs(**{**inputs.__dict__, "incoming": 4}))
    assert not covered.needed


def test_the_purchase_order_table() -> None:
    assert domain.allowed_next(PO.DRAFT) == [PO.SENT, PO.CANCELLED]
    assert domain.allowed_next(PO.SENT) == [PO.PARTIALLY_RECEIVED, PO.RECEIVED, PO.CANCELLED]
    assert domain.allowed_next(PO.PARTIALLY_RECEIVED) == [PO.RECEIVED, PO.CANCELLED]
    assert domain.allowed_next(PO.RECEIVED) == [] and domain.allowed_next(PO.CANCELLED) == []
    assert not domain.can_transition(PO.DRAFT, PO.RECEIVED)
    assert {PO.SENT, PO.PARTIALLY_RECEIVED} == domain.OPEN


def test_receipt_effects() -> None:
    assert domain.receipt_effect(ordered=10, received_before=0, quantity=4) == domain.ReceiptEffect(4, 0)
    assert domain.receipt_effect(ordered=10, received_before=8, quantity=5) == domain.ReceiptEffect(2, 3)
    assert domain.receipt_effect(ordered=10, received_before=12, quantity=1) == domain.ReceiptEffect(0, 1)
    lines = [domain.LineCounts(5, 5), domain.LineCounts(3, 4)]
    assert domain.status_after_receipt(lines) == PO.RECEIVED
    assert domain.status_after_receipt([*lines, domain.LineCounts(2, 0)]) == PO.PARTIALLY_RECEIVED
    assert domain.shortfalls([("A", domain.LineCounts(5, 2)), ("B", domain.LineCounts(3, 4))]) == [
        {"sku": "A", "ordered": 5, "received": 2, "short": 3}
    ]


def test_price_list_parsing_with_errors_per_row_and_column() -> None:
    content = (
        "SKU;Price;Currency;MOQ;Pack size;Lead time;Preferred;Supplier SKU\n"
        "TEE-1;4,50;;12;6;14;yes;LC-1\n"
        "TEE-2;abc;usd;0;;;maybe;\n"
        ";1.00;;;;;;\n"
        "\n"
    )
    rows = domain.parse_price_list(content, default_currency="EUR")
    assert len(rows) == 3
    first, second, third = rows
    assert (first.sku, first.price, first.currency, first.min_order_quantity, first.pack_size) == (
        "TEE-1",
        Decimal("4.50"),
        "EUR",
        12,
        6,
    )
    assert (first.lead_time_days, first.preferred, first.supplier_sku, first.errors) == (14, True, "LC-1", {})
    assert second.currency == "USD"
    assert second.errors == {
        "price": "bad_price",
        "min_order_quantity": "bad_integer",
        "preferred": "bad_boolean",
    }
    assert third.errors == {"sku": "required"} and third.line == 4
    with pytest.raises(domain.PriceListError) as missing:
        domain.parse_price_list("sku,cost_centre\nA,1\n", default_currency="EUR")
    assert missing.value.columns == ["price"]


def _waiting(line: int, *, express: bool = False, age_days: int = 0, order: int | None = None) -> Waiting:
    placed = datetime(2025, 1, 10, tzinfo=UTC) - timedelta(days=age_days)
    return Waiting(
        line_id=line,
        order_id=order or line,
        variant_id=1,
        express=express,
        placed_at=placed,
        position=1,
        quantity=2,
    )


def test_backorder_queue_express_first_then_oldest_and_partial_fill() -> None:
    newest = _waiting(1)
    oldest = _waiting(2, age_days=3)
    express = _waiting(3, express=True)
    plan = plan_fill([newest, oldest, express], 5)
    assert [(w.line_id, units) for w, units in plan] == [(3, 2), (2, 2), (1, 1)]
    assert plan_fill([newest], 0) == []


def test_resume_path_follows_the_payment_rules() -> None:
    S = OrderStatus
    assert resume_path(payment_state="paid", payment_kind="card", is_prepaid=True) == [S.PAID]
    assert resume_path(payment_state="unpaid", payment_kind="cod", is_prepaid=False) == [S.CONFIRMED]
    assert resume_path(payment_state="unpaid", payment_kind="card", is_prepaid=True) == [
        S.CONFIRMED,
        S.AWAITING_PAYMENT,
    ]
    assert resume_path(payment_state="partially_paid", payment_kind="prepayment", is_prepaid=True) == [
        S.CONFIRMED,
        S.AWAITING_PAYMENT,
        S.PARTIALLY_PAID,
    ]
