"""The reorder computation on known data (sales from the stock ledger, lead time from the price list,
safety stock from the rule), the replenishment view's inputs, and one click turning suggestions into
draft purchase orders grouped by supplier."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from orderloop.catalog.models import Variant
from orderloop.inventory.models import MovementReason, StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_release, stock_reserve
from orderloop.purchasing import selectors, services
from orderloop.purchasing.models import PurchaseOrder, PurchaseOrderStatus, Supplier, SupplierItem
from tests.orders.helpers import place

pytestmark = pytest.mark.django_db


def _age_last_movement(days: int) -> None:
    last = StockMovement.objects.order_by("-id").first()
    assert last is not None
    StockMovement.objects.filter(pk=last.pk).update(created_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def tee(
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    priced: Callable[..., None],
    po_for: Callable[..., Any],
) -> Variant:
    """Known data: 90 on hand; 30 + 30 reserved in the last 28 days, 4 released (net 56 = 2/day), 20
    reserved 40 days ago (outside the window); 10 incoming on a sent order. MOQ 25, pack 12, lead time
    10 days (the supplier's)."""
    variant = stocked("TEE-M", 90)
    stock_id = StockLevel.objects.get(variant=variant, warehouse=warehouse).pk
    for quantity, days in ((30, 5), (30, 20), (20, 40)):
        stock_reserve(stock_id=stock_id, quantity=quantity, actor=None, reference="order test")
        _age_last_movement(days)
    stock_release(stock_id=stock_id, quantity=4, actor=None, reference="order test")
    _age_last_movement(3)
    priced(variant, price="3.20", min_order_quantity=25, pack_size=12)
    po_for((variant, 10))
    return variant


def test_reorder_point_suggestion_on_known_data(tee: Variant, warehouse: Warehouse) -> None:
    services.reorder_rule_set(
        variant=tee,
        warehouse=warehouse,
        method="reorder_point",
        safety_stock=8,
        velocity_days=28,
        review_days=14,
        actor=None,
    )
    [suggestion] = selectors.replenishment()
    inputs, advice = suggestion.inputs, suggestion.advice
    # available 90 − 76 reserved = 14; incoming 10; nothing on drafts or backordered.
    assert (inputs.available, inputs.incoming, inputs.on_draft, inputs.backordered) == (14, 10, 0, 0)
    assert (inputs.sold_units, inputs.velocity_days, inputs.lead_time_days, inputs.safety_stock) == (
        56,
        28,
        10,
        8,
    )
    assert advice.velocity == Decimal("2.000")
    # ROP = ⌈2 × 10⌉ + 8 = 28; position 24 ≤ 28; target 28 + ⌈2 × 14⌉ = 56; need 32 → MOQ 25 → packs of 12: 36.
    assert (advice.position, advice.reorder_point, advice.target) == (24, 28, 56)
    assert (advice.raw_quantity, advice.quantity) == (32, 36)
    assert suggestion.supplier is not None and suggestion.supplier.code == "linenco"
    reasons = " | ".join(suggestion.reasons)
    assert "reorder point 28" in reasons and "order 36" in reasons
    assert ledger_mismatches() == []


def test_min_max_and_backorders_without_a_rule(
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    priced: Callable[..., None],
) -> None:
    socks = stocked("SOCKS-1", 4)
    priced(socks, pack_size=6)
    services.reorder_rule_set(
        variant=socks, warehouse=warehouse, method="min_max", min_quantity=10, max_quantity=40, actor=None
    )
    linen = stocked("LINEN-B", 0, backorder=True)
    priced(linen, min_order_quantity=5)
    place(("LINEN-B", 3))
    suggestions = {s.variant.sku: s for s in selectors.replenishment()}
    assert suggestions["SOCKS-1"].advice.quantity == 36  # 40 − 4 = 36, already whole packs of 6
    linen_row = suggestions["LINEN-B"]
    assert linen_row.rule is None and linen_row.inputs.backordered == 3
    assert linen_row.advice.raw_quantity == 3 and linen_row.advice.quantity == 5


def test_the_preferred_supplier_is_chosen_and_one_click_makes_drafts_per_supplier(
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    supplier: Supplier,
) -> None:
    other = services.supplier_create(
        code="nordic", name="Nordic Knit", currency="SEK", lead_time_days=3, actor=None
    )
    shirt = stocked("SHIRT-A", 0)
    cap = stocked("CAP-A", 1)
    services.supplier_item_set(supplier=supplier, sku="SHIRT-A", price="5.00", actor=None)
    services.supplier_item_set(supplier=other, sku="SHIRT-A", price="49.00", actor=None, preferred=True)
    services.supplier_item_set(supplier=supplier, sku="CAP-A", price="2.00", actor=None)
    assert SupplierItem.objects.get(supplier=supplier, variant=shirt).is_preferred is False
    for variant in (shirt, cap):
        services.reorder_rule_set(
            variant=variant,
            warehouse=warehouse,
            method="min_max",
            min_quantity=2,
            max_quantity=10,
            actor=None,
        )
    suggestions = {s.variant.sku: s for s in selectors.replenishment()}
    assert suggestions["SHIRT-A"].supplier == other and suggestions["SHIRT-A"].item is not None
    assert suggestions["SHIRT-A"].inputs.lead_time_days == 3
    assert suggestions["CAP-A"].supplier == supplier

    drafts = services.purchase_orders_from_suggestions(actor=None)
    assert sorted((po.supplier.code, po.currency) for po in drafts) == [("linenco", "EUR"), ("nordic", "SEK")]
    by_supplier = {po.supplier.code: po for po in drafts}
    assert list(by_supplier["nordic"].lines.values_list("sku", "quantity_ordered", "unit_price_amount")) == [
        ("SHIRT-A", 10, Decimal("49.00"))
    ]
    assert list(by_supplier["linenco"].lines.values_list("sku", "quantity_ordered")) == [("CAP-A", 9)]
    assert by_supplier["linenco"].total_amount == Decimal("18.00")
    assert all(po.status == PurchaseOrderStatus.DRAFT for po in drafts)

    # Drafts count against the suggestions: a second click adds nothing.
    assert services.purchase_orders_from_suggestions(actor=None) == []
    assert PurchaseOrder.objects.count() == 2
    assert not StockLevel.objects.filter(variant=shirt, incoming__gt=0).exists(), "drafts are not incoming"


def test_chosen_suggestions_with_an_edited_quantity(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, priced: Callable[..., None]
) -> None:
    a = stocked("PICK-A", 0)
    b = stocked("PICK-B", 0)
    for variant in (a, b):
        priced(variant)
        services.reorder_rule_set(
            variant=variant, warehouse=warehouse, method="min_max", min_quantity=1, max_quantity=5, actor=None
        )
    key = f"{a.pk}-{warehouse.pk}"
    [po] = services.purchase_orders_from_suggestions(actor=None, keys=[key], quantities={key: 7})
    assert list(po.lines.values_list("sku", "quantity_ordered")) == [("PICK-A", 7)]
    remaining = [s.variant.sku for s in selectors.replenishment()]
    assert remaining == ["PICK-B"]


def test_a_variant_without_any_supplier_is_shown_but_not_ordered(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse
) -> None:
    lonely = stocked("LONELY-1", 0)
    services.reorder_rule_set(
        variant=lonely, warehouse=warehouse, method="min_max", min_quantity=1, max_quantity=3, actor=None
    )
    [suggestion] = selectors.replenishment()
    assert suggestion.item is None and not suggestion.can_order
    assert any("no supplier" in reason for reason in suggestion.reasons)
    assert services.purchase_orders_from_suggestions(actor=None) == []


def test_sales_outside_the_window_and_other_reasons_do_not_count(tee: Variant, warehouse: Warehouse) -> None:
    stock_id = StockLevel.objects.get(variant=tee, warehouse=warehouse).pk
    assert selectors.sold_units(stock_ids=[stock_id], days=28) == {stock_id: 56}
    assert selectors.sold_units(stock_ids=[stock_id], days=60) == {stock_id: 76}
    assert StockMovement.objects.filter(stock_id=stock_id, reason=MovementReason.ADJUSTMENT).exists()
