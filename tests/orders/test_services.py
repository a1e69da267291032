"""Order services against the database: placing, reserving, the status machine, hold, notes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders import services
from orderloop.orders.domain import LineData, PreferredDelivery
from orderloop.orders.errors import (
    DuplicateExternalRef,
    InsufficientStock,
    InvalidTransition,
    OrderOnHold,
    StockNotReserved,
)
from orderloop.orders.models import EventKind, LineAllocation, Order, OrderEvent, OrderStatus

from .helpers import address, customer, place

pytestmark = pytest.mark.usefixtures("methods")


@pytest.fixture
def lviv(db):
    return Warehouse.objects.create(code="lviv", name="Lviv", country="UA", priority=2)


def reserved(sku: str) -> int:
    return sum(StockLevel.objects.filter(variant__sku=sku).values_list("reserved", flat=True))


def test_place_reserves_stock_numbers_sequentially_and_records_the_event(stocked, make_staff):
    stocked("TEE", 5, price="199.90")
    stocked("CAP", 2, price="100.00")
    manager = make_staff("Manager")
    first = place(("TEE", 2), ("CAP", 1), actor=manager)
    second = place(("TEE", 1))
    assert (first.number, second.number) == ("1001", "1002")
    assert first.status == OrderStatus.NEW
    assert first.customer_phone == "+380501234567"
    assert (first.subtotal_amount, first.delivery_amount, first.total_amount) == (
        Decimal("499.80"),
        Decimal("120.00"),
        Decimal("619.80"),
    )
    assert str(first.total.amount) == "619.80" and first.currency == "UAH"
    assert (reserved("TEE"), reserved("CAP")) == (3, 1)
    lines = list(first.lines.order_by("position"))
    assert [(line.sku, line.quantity, line.quantity_reserved) for line in lines] == [
        ("TEE", 2, 2),
        ("CAP", 1, 1),
    ]
    assert lines[0].attributes == {"size": "M", "colour": "Red"}
    event = OrderEvent.objects.get(order=first)
    assert (event.kind, event.to_status, event.actor) == (EventKind.PLACED, "new", manager)
    assert StockMovement.objects.filter(reference="order 1001").count() == 2
    assert ledger_mismatches() == []


def test_insufficient_stock_writes_nothing(stocked):
    stocked("TEE", 5)
    stocked("CAP", 1)
    movements = StockMovement.objects.count()
    with pytest.raises(InsufficientStock) as excinfo:
        place(("TEE", 2), ("CAP", 3))
    assert excinfo.value.details == {"lines": [{"index": 1, "sku": "CAP", "requested": 3, "available": 1}]}
    assert Order.objects.count() == 0
    assert StockMovement.objects.count() == movements
    assert (reserved("TEE"), reserved("CAP")) == (0, 0)
    # the refused order did not use up a number
    assert place(("TEE", 1)).number == "1001"


def test_backorder_takes_what_is_there_and_waits_for_stock(stocked):
    stocked("PRE", 2, backorder=True)
    order = place(("PRE", 5))
    line = order.lines.get()
    assert (order.status, line.quantity_reserved, line.quantity_backordered) == ("awaiting_stock", 2, 3)
    assert reserved("PRE") == 2
    with pytest.raises(StockNotReserved):
        services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    # payment may still arrive while it waits
    assert services.order_transition(order_id=order.pk, to=OrderStatus.PAID, actor=None).status == "paid"


def test_backorder_with_no_stock_row_at_all(make_variant):
    variant = make_variant("NEW-ITEM")
    variant.product.allow_backorder = True
    variant.product.save()
    order = place(("NEW-ITEM", 1))
    assert order.status == "awaiting_stock"
    assert order.lines.get().quantity_backordered == 1


def test_priority_strategy_splits_across_warehouses(stocked, warehouse, lviv):
    variant = stocked("TEE", 2)
    stock_adjust(variant=variant, warehouse=lviv, delta=5, actor=None)
    order = place(("TEE", 4))
    allocations = {a.warehouse.code: a.quantity for a in LineAllocation.objects.filter(line__order=order)}
    assert allocations == {"kyiv": 2, "lviv": 2}


@override_settings(ORDERLOOP={"ALLOCATION_STRATEGY": "single_warehouse"})
def test_single_warehouse_strategy_avoids_a_split(stocked, warehouse, lviv):
    tee = stocked("TEE", 2)
    cap = stocked("CAP", 0)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    stock_adjust(variant=cap, warehouse=lviv, delta=5, actor=None)
    order = place(("TEE", 2), ("CAP", 1))
    codes = set(LineAllocation.objects.filter(line__order=order).values_list("warehouse__code", flat=True))
    assert codes == {"lviv"}


def test_inactive_warehouse_is_not_allocated(stocked, warehouse):
    stocked("TEE", 5)
    Warehouse.objects.filter(pk=warehouse.pk).update(is_active=False)
    with pytest.raises(InsufficientStock):
        place(("TEE", 1))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer": customer(phone="12345")}, "customer.phone"),
        ({"customer": customer(email="not-an-email")}, "customer.email"),
        ({"customer": customer(language="de")}, "customer.language"),
        ({"customer": customer(name=" ")}, "customer.name"),
        ({"shipping_address": address(country="XX")}, "shipping_address.country"),
        ({"shipping_address": address(postal_code="")}, "shipping_address.postal_code"),
        ({"shipping_address": address(city="")}, "shipping_address.city"),
        ({"delivery_method_code": "teleport"}, "delivery_method"),
        ({"payment_method_code": "barter"}, "payment_method"),
        ({"channel": "fax"}, "channel"),
        ({"lines": [LineData(sku="TEE", quantity=1), LineData(sku="NOPE", quantity=1)]}, "lines.1.sku"),
        ({"lines": [LineData(sku="TEE", quantity=0)]}, "lines.0.quantity"),
        ({"lines": []}, "lines"),
        ({"preferred_delivery": PreferredDelivery(time_from=None, time_to=None, date=None)}, None),
    ],
)
def test_validation_names_the_field(stocked, overrides, field):
    stocked("TEE", 5)
    if field is None:
        place(("TEE", 1), **overrides)
        return
    with pytest.raises(InvalidInput) as excinfo:
        place(("TEE", 1), **overrides)
    assert field in excinfo.value.details
    assert Order.objects.count() == 0


def test_delivery_method_must_serve_the_country(stocked):
    stocked("TEE", 5)
    sweden = address(country="SE", city="Stockholm", postal_code="114 55")
    with pytest.raises(InvalidInput) as excinfo:
        place(
            ("TEE", 1),
            shipping_address=sweden,
            delivery_method_code="pickup_point",
            customer=customer(phone="+46 70 123 45 67"),
        )
    assert "not available for SE" in excinfo.value.details["delivery_method"]
    order = place(("TEE", 1), shipping_address=sweden, customer=customer(phone="070 123 45 67"))
    assert order.customer_phone == "+46701234567"


def test_inactive_variant_is_not_for_sale(stocked):
    variant = stocked("TEE", 5)
    variant.is_active = False
    variant.save()
    with pytest.raises(InvalidInput) as excinfo:
        place(("TEE", 1))
    assert excinfo.value.details == {"lines.0.sku": "This product is not for sale."}


def test_duplicate_external_ref_per_channel(stocked):
    stocked("TEE", 5)
    place(("TEE", 1), channel="marketplace", external_ref="RZ-1")
    with pytest.raises(DuplicateExternalRef) as excinfo:
        place(("TEE", 1), channel="marketplace", external_ref="RZ-1")
    assert excinfo.value.details["number"] == "1001"
    place(("TEE", 1), channel="social", external_ref="RZ-1")  # another channel
    place(("TEE", 1), channel="marketplace")  # no reference: never a duplicate
    place(("TEE", 1), channel="marketplace")
    assert reserved("TEE") == 4


def test_cod_order_confirm_then_cancel_returns_stock(stocked, make_staff):
    stocked("TEE", 5)
    manager = make_staff("Manager")
    order = place(("TEE", 3))
    services.order_confirm(order_id=order.pk, actor=manager)
    order.refresh_from_db()
    assert order.status == "confirmed"
    with pytest.raises(InvalidInput) as excinfo:
        services.order_cancel(order_id=order.pk, actor=manager, reason=" ")
    assert "reason" in excinfo.value.details
    services.order_cancel(order_id=order.pk, actor=manager, reason="customer changed mind")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert reserved("TEE") == 0
    assert not LineAllocation.objects.filter(line__order=order).exists()
    assert ledger_mismatches() == []
    events = list(order.events.values_list("kind", "from_status", "to_status", "reason"))
    assert events == [
        ("placed", "", "new", ""),
        ("status_change", "new", "confirmed", ""),
        ("status_change", "confirmed", "cancelled", "customer changed mind"),
    ]
    with pytest.raises(InvalidTransition) as excinfo:
        services.order_cancel(order_id=order.pk, actor=manager, reason="again")
    assert excinfo.value.details == {"from": "cancelled", "to": "cancelled", "allowed": []}


def test_prepaid_order_awaits_payment_after_confirmation(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1), payment_method_code="card")
    order = services.order_confirm(order_id=order.pk, actor=None)
    assert order.status == "awaiting_payment"
    with pytest.raises(InvalidTransition) as excinfo:
        services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    assert excinfo.value.details["allowed"] == ["partially_paid", "paid", "cancelled"]


def test_held_order_cannot_go_to_picking_until_released(stocked, make_staff):
    stocked("TEE", 5)
    manager = make_staff("Manager")
    order = place(("TEE", 1))
    services.order_confirm(order_id=order.pk, actor=manager)
    services.order_hold(order_id=order.pk, actor=manager, reason="phone does not answer")
    with pytest.raises(OrderOnHold):
        services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=manager)
    services.order_release_hold(order_id=order.pk, actor=manager)
    assert (
        services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=manager).status
        == "picking"
    )
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["placed", "status_change", "hold", "release", "status_change"]


def test_assign_manager_and_notes(stocked, make_staff):
    stocked("TEE", 5)
    manager = make_staff("Manager")
    support = make_staff("Support")
    order = place(("TEE", 1))
    order = services.order_assign_manager(order_id=order.pk, manager_username="manager", actor=manager)
    assert order.manager == manager
    with pytest.raises(InvalidInput) as excinfo:
        services.order_assign_manager(order_id=order.pk, manager_username="support", actor=manager)
    assert "username" in excinfo.value.details
    note = services.order_add_note(
        order_id=order.pk, actor=support, text="Customer asked to call after 18:00"
    )
    assert (note.kind, note.actor) == ("note", support)
    assignment = order.events.get(kind="assignment")
    assert assignment.data == {"from": None, "to": "manager"}
