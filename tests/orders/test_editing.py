"""Editing orders (orders/editing.py) and its API (orders/api_editing.py): only the difference is
reserved or released, atomically, with an `edit` event saying who changed what."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders import editing, services
from orderloop.orders.api_editing import router as editing_router
from orderloop.orders.domain import LineData, PreferredDelivery
from orderloop.orders.editing import OrderLineNotFound, OrderNotEditable
from orderloop.orders.errors import InsufficientStock, OrderNotFound
from orderloop.orders.models import EventKind, LineAllocation, Order, OrderEvent, OrderLine, OrderStatus
from orderloop.orders.promise import delivery_promise, promise_text

from .helpers import address, customer, place

pytestmark = pytest.mark.usefixtures("methods")


@pytest.fixture
def lviv(db: Any) -> Warehouse:
    return Warehouse.objects.create(code="lviv", name="Lviv", country="UA", priority=2)


def reserved(sku: str) -> int:
    return sum(StockLevel.objects.filter(variant__sku=sku).values_list("reserved", flat=True))


def reserved_in(sku: str, code: str) -> int:
    row = StockLevel.objects.filter(variant__sku=sku, warehouse__code=code).first()
    return row.reserved if row else 0


def allocations(order: Order) -> list[tuple[int, str, int]]:
    return sorted(
        LineAllocation.objects.filter(line__order=order).values_list(
            "line__position", "warehouse__code", "quantity"
        )
    )


def line(order: Order, position: int) -> OrderLine:
    return order.lines.get(position=position)


def last_edit(order: Order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order, kind=EventKind.EDIT).latest("id")


def snapshot(order: Order) -> tuple[Any, ...]:
    """Everything an edit may touch: refused edits must leave it exactly as it was."""
    order.refresh_from_db()
    return (
        list(
            order.lines.order_by("position").values_list(
                "position", "sku", "quantity", "quantity_backordered"
            )
        ),
        allocations(order),
        list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "reserved")),
        StockMovement.objects.count(),
        OrderEvent.objects.filter(order=order).count(),
        (order.status, order.ship_city, order.delivery_method_id, order.total_amount),
    )


# --- Lines and quantities --------------------------------------------------------------------------------


def test_raising_a_quantity_reserves_only_the_difference_and_records_who(stocked, make_staff):
    stocked("TEE", 10, price="100.00")
    manager = make_staff("Manager")
    order = place(("TEE", 2))
    movements = StockMovement.objects.count()
    editing.order_line_set_quantity(
        order_id=order.pk, line_id=line(order, 1).pk, quantity=5, actor=manager, reason="customer called"
    )
    order.refresh_from_db()
    assert reserved("TEE") == 5
    assert line(order, 1).quantity == 5 and line(order, 1).quantity_reserved == 5
    new_movements = list(StockMovement.objects.order_by("id")[movements:])
    assert [(m.reason, m.reserved_delta, m.reference) for m in new_movements] == [
        ("reservation", 3, f"order {order.number}")
    ]
    assert (order.subtotal_amount, order.delivery_amount, order.total_amount) == (
        Decimal("500.00"),
        Decimal("120.00"),
        Decimal("620.00"),
    )
    event = last_edit(order)
    assert event.actor == manager and event.reason == "customer called"
    assert event.data["changes"] == [{"action": "quantity", "position": 1, "sku": "TEE", "from": 2, "to": 5}]
    assert event.data["stock"] == [
        {"warehouse": "kyiv", "stock_id": StockLevel.objects.get().pk, "reserved": 3}
    ]
    assert event.data["totals"] == {
        "from": {"subtotal": "200.00", "delivery": "120.00", "total": "320.00"},
        "to": {"subtotal": "500.00", "delivery": "120.00", "total": "620.00"},
    }
    assert ledger_mismatches() == []


def test_lowering_a_quantity_releases_from_the_least_preferred_warehouse_first(stocked, warehouse, lviv):
    tee = stocked("TEE", 2)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    order = place(("TEE", 5))
    assert allocations(order) == [(1, "kyiv", 2), (1, "lviv", 3)]
    editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=3, actor=None)
    assert allocations(order) == [(1, "kyiv", 2), (1, "lviv", 1)]
    editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=1, actor=None)
    assert allocations(order) == [(1, "kyiv", 1)]
    assert (reserved_in("TEE", "kyiv"), reserved_in("TEE", "lviv")) == (1, 0)
    assert ledger_mismatches() == []


def test_more_units_prefer_a_warehouse_the_order_already_ships_from(stocked, warehouse, lviv):
    tee = stocked("TEE", 0)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    cap = stocked("CAP", 5)  # in kyiv, the higher-priority warehouse
    stock_adjust(variant=cap, warehouse=lviv, delta=5, actor=None)
    order = place(("TEE", 1))  # ships from lviv
    editing.order_line_add(order_id=order.pk, sku="CAP", quantity=2, actor=None)
    assert allocations(order) == [(1, "lviv", 1), (2, "lviv", 2)]  # no split into kyiv


def test_add_and_remove_lines(stocked, make_staff):
    stocked("TEE", 5, price="100.00")
    stocked("CAP", 5, price="50.00")
    manager = make_staff("Manager")
    order = place(("TEE", 2))
    editing.order_line_add(order_id=order.pk, sku="CAP", quantity=3, note="gift wrap", actor=manager)
    order.refresh_from_db()
    cap = line(order, 2)
    assert (cap.sku, cap.quantity, cap.quantity_reserved, cap.note) == ("CAP", 3, 3, "gift wrap")
    assert cap.unit_price_amount == Decimal("50.00") and cap.attributes == {"size": "M", "colour": "Red"}
    assert order.total_amount == Decimal("470.00")
    assert reserved("CAP") == 3
    assert last_edit(order).data["changes"] == [
        {"action": "add_line", "position": 2, "sku": "CAP", "quantity": 3}
    ]

    editing.order_line_remove(order_id=order.pk, line_id=line(order, 1).pk, actor=manager)
    order.refresh_from_db()
    assert list(order.lines.values_list("position", "sku")) == [(2, "CAP")]
    assert reserved("TEE") == 0 and order.total_amount == Decimal("270.00")
    assert last_edit(order).data["changes"] == [
        {"action": "remove_line", "position": 1, "sku": "TEE", "quantity": 2}
    ]
    # A later line never reuses a position.
    editing.order_line_add(order_id=order.pk, sku="TEE", quantity=1, actor=manager)
    assert sorted(order.lines.values_list("position", flat=True)) == [2, 3]
    assert ledger_mismatches() == []


def test_the_last_line_cannot_be_removed(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    with pytest.raises(InvalidInput) as caught:
        editing.order_line_remove(order_id=order.pk, line_id=line(order, 1).pk, actor=None)
    assert "lines" in caught.value.details


def test_not_enough_stock_for_the_difference_changes_nothing(stocked):
    stocked("TEE", 5)
    stocked("CAP", 5)
    order = place(("TEE", 2), ("CAP", 1))
    before = snapshot(order)
    with pytest.raises(InsufficientStock) as caught:
        editing.order_edit(
            order_id=order.pk,
            actor=None,
            add_lines=[LineData(sku="CAP", quantity=1)],  # would fit
            quantities={line(order, 1).pk: 8},  # 6 more, 3 available
            shipping_address=address(city="Lviv", postal_code="79000"),
        )
    assert caught.value.details == {"lines": [{"position": 1, "sku": "TEE", "requested": 6, "available": 3}]}
    assert snapshot(order) == before
    assert ledger_mismatches() == []


def test_releasing_and_reserving_the_same_sku_in_one_edit(stocked):
    stocked("TEE", 3)
    order = place(("TEE", 3))
    # Drop the line and add the same SKU with another note: the released units are reused.
    editing.order_edit(
        order_id=order.pk,
        actor=None,
        remove_line_ids=[line(order, 1).pk],
        add_lines=[LineData(sku="TEE", quantity=3, note="engrave: A")],
    )
    assert reserved("TEE") == 3 and allocations(order) == [(2, "kyiv", 3)]
    assert ledger_mismatches() == []


def test_backorderable_product_sends_the_order_to_wait_for_stock(stocked):
    stocked("TEE", 2, backorder=True)
    order = place(("TEE", 1))
    editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=4, actor=None)
    order.refresh_from_db()
    tee = line(order, 1)
    assert (tee.quantity, tee.quantity_reserved, tee.quantity_backordered) == (4, 2, 2)
    assert order.status == OrderStatus.AWAITING_STOCK
    status_event = OrderEvent.objects.filter(order=order).latest("id")
    assert (status_event.kind, status_event.reason) == (EventKind.STATUS_CHANGE, "edit_backordered")
    # Going back down drops the backordered units first.
    editing.order_line_set_quantity(order_id=order.pk, line_id=tee.pk, quantity=3, actor=None)
    tee.refresh_from_db()
    assert (tee.quantity, tee.quantity_reserved, tee.quantity_backordered) == (3, 2, 1)
    assert reserved("TEE") == 2


def test_quantity_must_be_positive_and_lines_must_belong_to_the_order(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    other = place(("TEE", 1))
    with pytest.raises(InvalidInput) as caught:
        editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=0, actor=None)
    assert "lines.1.quantity" in caught.value.details
    with pytest.raises(OrderLineNotFound):
        editing.order_line_remove(order_id=order.pk, line_id=line(other, 1).pk, actor=None)
    with pytest.raises(OrderNotFound):
        editing.order_line_add(order_id=999_999, sku="TEE", quantity=1, actor=None)
    with pytest.raises(InvalidInput) as caught:
        editing.order_line_add(order_id=order.pk, sku="NOPE", quantity=1, actor=None)
    assert caught.value.details == {"add_lines.0.sku": "No product has this SKU."}
    with pytest.raises(InvalidInput):
        editing.order_edit(order_id=order.pk, actor=None)


def test_a_line_in_another_currency_is_refused(stocked):
    stocked("TEE", 5)
    stocked("EUR-TEE", 5, currency="EUR")
    order = place(("TEE", 1))
    with pytest.raises(InvalidInput) as caught:
        editing.order_line_add(order_id=order.pk, sku="EUR-TEE", quantity=1, actor=None)
    assert "add_lines.0.sku" in caught.value.details


# --- Address and delivery method -------------------------------------------------------------------------


def test_address_change_is_checked_with_the_placing_rules_and_recorded(stocked, make_staff):
    stocked("TEE", 5)
    manager = make_staff("Manager")
    order = place(("TEE", 1))
    with pytest.raises(InvalidInput) as caught:
        editing.order_change_address(
            order_id=order.pk, shipping_address=address(postal_code="1234"), actor=manager
        )
    assert set(caught.value.details) == {"shipping_address.postal_code"}

    editing.order_change_address(
        order_id=order.pk, shipping_address=address(city="Lviv", postal_code="79000"), actor=manager
    )
    order.refresh_from_db()
    assert (order.ship_city, order.ship_postal_code) == ("Lviv", "79000")
    (change,) = last_edit(order).data["changes"]
    assert change["action"] == "shipping_address"
    assert (change["from"]["city"], change["to"]["city"]) == ("Kyiv", "Lviv")
    assert reserved("TEE") == 1  # stock untouched
    # The same address again changes nothing and writes no event.
    events = OrderEvent.objects.count()
    editing.order_change_address(
        order_id=order.pk, shipping_address=address(city="Lviv", postal_code="79000"), actor=manager
    )
    assert OrderEvent.objects.count() == events


def test_the_delivery_method_must_serve_the_new_country(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1), delivery_method_code="pickup_point")  # UA only
    sweden = address(country="SE", city="Stockholm", postal_code="114 55", line1="Drottninggatan 1")
    with pytest.raises(InvalidInput) as caught:
        editing.order_change_address(order_id=order.pk, shipping_address=sweden, actor=None)
    assert set(caught.value.details) == {"delivery_method"}
    editing.order_edit(
        order_id=order.pk, actor=None, shipping_address=sweden, delivery_method_code="door_delivery"
    )
    order.refresh_from_db()
    assert (order.ship_country, order.delivery_method.code) == ("SE", "door_delivery")


def test_delivery_method_change_recomputes_the_total(stocked):
    stocked("TEE", 5, price="100.00")
    order = place(("TEE", 1))
    editing.order_change_delivery_method(order_id=order.pk, delivery_method_code="express", actor=None)
    order.refresh_from_db()
    assert (order.delivery_amount, order.total_amount) == (Decimal("250.00"), Decimal("350.00"))
    # Express delivery makes the order express (issue 16), as placing with it does.
    assert order.priority == "express"
    event = last_edit(order)
    assert event.data["changes"] == [
        {"action": "delivery_method", "from": "door_delivery", "to": "express"},
        {"action": "priority", "from": "normal", "to": "express"},
    ]
    with pytest.raises(InvalidInput) as caught:
        editing.order_change_delivery_method(order_id=order.pk, delivery_method_code="nope", actor=None)
    assert set(caught.value.details) == {"delivery_method"}
    # Back to door delivery: the express priority came from the method, so it goes with it.
    editing.order_change_delivery_method(order_id=order.pk, delivery_method_code="door_delivery", actor=None)
    order.refresh_from_db()
    assert order.priority == "normal"


MONDAY_MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # before the warehouses' 14:00 cut-off


def test_the_promised_date_follows_every_edit_of_what_it_is_worked_out_from(
    manager, stocked, warehouse, lviv
):
    """One promised date: the card, the label, the courier's route and the customer's page all read it,
    so an edit of the method, the warehouses or the stock waiting recomputes it (from the edit's time)."""
    lviv.handling_days = 3
    lviv.save(update_fields=["handling_days"])
    tee = stocked("TEE", 5)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        order = place(("TEE", 1))  # door delivery: handed over Monday, two days on the way
        assert order.promised_date == date(2026, 12, 9)

        # The API's method change: express, one day on the way.
        response = send(manager, "put", f"{URL}/{order.number}/delivery-method", {"code": "express"})
        assert response.status_code == 200, response.json()
        assert response.json()["promised_date"] == "2026-12-08"
        assert last_edit(order).data["promised_date"] == {"from": "2026-12-09", "to": "2026-12-08"}

        # A new address or window does not change what the date is worked out from: it stays.
        editing.order_change_address(order_id=order.pk, shipping_address=address(city="Odesa"), actor=None)
        editing.order_edit(
            order_id=order.pk,
            actor=None,
            preferred_delivery=PreferredDelivery(date=date(2026, 12, 11), time_from=time(10, 0)),
        )
        order.refresh_from_db()
        assert order.promised_date == date(2026, 12, 8)
        # The customer's later day is the one every place shows.
        assert promise_text(delivery_promise(order), "en") == "December 11, 2026, 10:00–…"

        # Moved to Lviv, which needs three handling days: Wednesday handover, Thursday at the door.
        editing.order_line_move_allocation(
            order_id=order.pk,
            line_id=line(order, 1).pk,
            from_warehouse="kyiv",
            to_warehouse="lviv",
            quantity=1,
            actor=None,
        )
        order.refresh_from_db()
        assert order.promised_date == date(2026, 12, 10)


def test_backordered_units_withdraw_the_promise(stocked):
    stocked("TEE", 1, backorder=True)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        order = place(("TEE", 1))
        assert order.promised_date == date(2026, 12, 9)
        editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=3, actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_STOCK and order.promised_date is None


def test_orders_in_the_warehouse_are_not_editable(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    services.order_confirm(order_id=order.pk, actor=None)
    services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    with pytest.raises(OrderNotEditable) as caught:
        editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=2, actor=None)
    assert caught.value.code == "order_not_editable" and caught.value.http_status == 409
    with pytest.raises(OrderNotEditable):
        editing.order_line_move_allocation(
            order_id=order.pk,
            line_id=line(order, 1).pk,
            from_warehouse="kyiv",
            to_warehouse="lviv",
            quantity=1,
            actor=None,
        )
    cancelled = place(("TEE", 1))
    services.order_cancel(order_id=cancelled.pk, actor=None, reason="test")
    with pytest.raises(OrderNotEditable):
        editing.order_change_delivery_method(
            order_id=cancelled.pk, delivery_method_code="express", actor=None
        )


def test_confirmed_and_held_orders_are_still_editable(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    services.order_confirm(order_id=order.pk, actor=None)
    services.order_hold(order_id=order.pk, actor=None, reason="check")
    editing.order_line_set_quantity(order_id=order.pk, line_id=line(order, 1).pk, quantity=2, actor=None)
    assert reserved("TEE") == 2


# --- Moving a reservation --------------------------------------------------------------------------------


def test_move_a_reservation_to_another_warehouse(stocked, warehouse, lviv, make_staff):
    tee = stocked("TEE", 5)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    manager = make_staff("Manager")
    order = place(("TEE", 3))
    assert allocations(order) == [(1, "kyiv", 3)]
    editing.order_line_move_allocation(
        order_id=order.pk,
        line_id=line(order, 1).pk,
        from_warehouse="kyiv",
        to_warehouse="lviv",
        quantity=2,
        actor=manager,
    )
    assert allocations(order) == [(1, "kyiv", 1), (1, "lviv", 2)]
    assert (reserved_in("TEE", "kyiv"), reserved_in("TEE", "lviv")) == (1, 2)
    event = last_edit(order)
    assert event.actor == manager
    assert event.data["changes"] == [
        {
            "action": "move_allocation",
            "position": 1,
            "sku": "TEE",
            "from_warehouse": "kyiv",
            "to_warehouse": "lviv",
            "quantity": 2,
        }
    ]
    # The rest follows; the kyiv allocation row disappears.
    editing.order_line_move_allocation(
        order_id=order.pk,
        line_id=line(order, 1).pk,
        from_warehouse="kyiv",
        to_warehouse="lviv",
        quantity=1,
        actor=None,
    )
    assert allocations(order) == [(1, "lviv", 3)]
    assert ledger_mismatches() == []


def test_move_without_enough_stock_in_the_target_changes_nothing(stocked, warehouse, lviv):
    tee = stocked("TEE", 5)
    stock_adjust(variant=tee, warehouse=lviv, delta=1, actor=None)
    order = place(("TEE", 3))
    before = snapshot(order)
    with pytest.raises(InsufficientStock) as caught:
        editing.order_line_move_allocation(
            order_id=order.pk,
            line_id=line(order, 1).pk,
            from_warehouse="kyiv",
            to_warehouse="lviv",
            quantity=2,
            actor=None,
        )
    assert caught.value.details["lines"][0]["available"] == 1
    assert snapshot(order) == before


def test_move_checks_its_input(stocked, warehouse, lviv):
    stocked("TEE", 5)
    order = place(("TEE", 2))
    line_id = line(order, 1).pk

    def move(**overrides: Any) -> None:
        arguments = {"from_warehouse": "kyiv", "to_warehouse": "lviv", "quantity": 1}
        editing.order_line_move_allocation(
            order_id=order.pk, line_id=line_id, actor=None, **{**arguments, **overrides}
        )

    for overrides, field in [
        ({"quantity": 3}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"to_warehouse": "kyiv"}, "to_warehouse"),
        ({"to_warehouse": "nowhere"}, "to_warehouse"),
        ({"from_warehouse": "lviv", "to_warehouse": "kyiv"}, "from_warehouse"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            move(**overrides)
        assert field in caught.value.details, overrides
    with pytest.raises(InsufficientStock):  # lviv has no stock row for TEE at all
        move()


# --- API ---------------------------------------------------------------------------------------------------


@pytest.fixture
def editing_api(settings: Any) -> None:
    """Serve the editing router: from the project's URLs once mounted there, else from a test URLconf."""
    from orderloop.api.main import api

    if not any(router is editing_router for _prefix, router in api._routers):
        settings.ROOT_URLCONF = "tests.orders.editing_urls"


@pytest.fixture
def manager(api_client, editing_api) -> Client:
    return api_client("Manager")


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None):
    return getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


URL = "/api/v1/orders"


def test_api_edit_lines_and_quantities(manager, stocked):
    stocked("TEE", 10, price="100.00")
    stocked("CAP", 10, price="50.00")
    order = place(("TEE", 2), ("CAP", 1))

    response = send(manager, "patch", f"{URL}/{order.number}/lines/1", {"quantity": 4})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [(x["position"], x["quantity"], x["quantity_reserved"]) for x in data["lines"]] == [
        (1, 4, 4),
        (2, 1, 1),
    ]
    assert data["totals"]["total"] == {"amount": "570.00", "currency": "UAH"}

    response = send(
        manager, "post", f"{URL}/{order.number}/lines", {"sku": "TEE", "quantity": 1, "note": "blue box"}
    )
    assert response.status_code == 201 and response.json()["lines"][2]["note"] == "blue box"

    response = send(manager, "delete", f"{URL}/{order.number}/lines/2")
    assert response.status_code == 200
    assert [x["position"] for x in response.json()["lines"]] == [1, 3]
    assert reserved("CAP") == 0

    response = send(
        manager,
        "post",
        f"{URL}/{order.number}/edit",
        {
            "remove_lines": [3],
            "quantities": [{"position": 1, "quantity": 2}],
            "add_lines": [{"sku": "CAP", "quantity": 2}],
            "delivery_method": "store_pickup",
            "reason": "customer changed their mind",
        },
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [(x["position"], x["sku"], x["quantity"]) for x in data["lines"]] == [(1, "TEE", 2), (4, "CAP", 2)]
    assert data["delivery_method"]["code"] == "store_pickup"
    assert data["totals"]["total"]["amount"] == "300.00"
    assert (reserved("TEE"), reserved("CAP")) == (2, 2)

    event = last_edit(order)
    assert event.reason == "customer changed their mind" and event.actor.username == "api-manager"
    assert ledger_mismatches() == []


def test_api_errors(manager, api_client, stocked, make_staff):
    stocked("TEE", 3)
    order = place(("TEE", 1))
    url = f"{URL}/{order.number}/lines/1"

    response = send(manager, "patch", url, {"quantity": 9})
    assert response.status_code == 409 and response.json()["code"] == "insufficient_stock"
    response = send(manager, "patch", url, {"quantity": "2"})
    assert response.status_code == 422 and "quantity" in response.json()["details"]
    response = send(manager, "patch", f"{URL}/{order.number}/lines/7", {"quantity": 2})
    assert response.status_code == 404 and response.json()["code"] == "order_line_not_found"
    response = send(manager, "patch", f"{URL}/99999/lines/1", {"quantity": 2})
    assert response.status_code == 404 and response.json()["code"] == "order_not_found"
    response = send(
        manager,
        "put",
        f"{URL}/{order.number}/shipping-address",
        {"country": "UA", "city": "Kyiv", "line1": "x"},
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"shipping_address.postal_code": "This field is required for UA."}
    response = send(manager, "post", f"{URL}/{order.number}/edit", {})
    assert response.status_code == 422

    support = api_client("Support")
    assert send(support, "patch", url, {"quantity": 2}).status_code == 403
    assert Client().patch(url, data="{}", content_type="application/json").status_code == 401

    services.order_confirm(order_id=order.pk, actor=None)
    services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    response = send(manager, "put", f"{URL}/{order.number}/delivery-method", {"code": "express"})
    assert response.status_code == 409 and response.json()["code"] == "order_not_editable"


def test_api_address_and_move(manager, stocked, warehouse, lviv):
    tee = stocked("TEE", 5)
    stock_adjust(variant=tee, warehouse=lviv, delta=5, actor=None)
    order = place(("TEE", 3))
    response = send(
        manager,
        "put",
        f"{URL}/{order.number}/shipping-address",
        {"country": "UA", "city": "Lviv", "postal_code": "79000", "line1": "Rynok 1", "reason": "moved"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["shipping_address"]["city"] == "Lviv"

    response = send(
        manager,
        "post",
        f"{URL}/{order.number}/lines/1/move",
        {"from_warehouse": "kyiv", "to_warehouse": "lviv", "quantity": 3},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["lines"][0]["allocations"] == [{"warehouse": "lviv", "quantity": 3}]
    response = send(
        manager,
        "post",
        f"{URL}/{order.number}/lines/1/move",
        {"from_warehouse": "lviv", "to_warehouse": "kyiv", "quantity": 9},
    )
    assert response.status_code == 422 and "quantity" in response.json()["details"]


# --- Races ---------------------------------------------------------------------------------------------------


def run_in_threads(count: int, work):
    def guarded(index: int):
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(guarded, range(count)))


@pytest.mark.django_db(transaction=True)
def test_edits_racing_new_orders_never_oversell(stocked):
    stocked("HOT", 20)
    stocked("COLD", 40)
    orders = [place(("HOT", 1), ("COLD", 1), customer=customer(name=f"Early {n}")) for n in range(4)]

    def attempt(index: int) -> str:
        try:
            if index % 4 == 0:
                order = orders[index // 4 % len(orders)]
                lines = {x.sku: x.pk for x in order.lines.all()}
                editing.order_edit(
                    order_id=order.pk,
                    actor=None,
                    quantities={lines["COLD"]: 2 + index % 3, lines["HOT"]: 1 + index % 5},
                )
            else:
                place(("COLD", 1), ("HOT", 1), customer=customer(name=f"Buyer {index}"))
            return "ok"
        except InsufficientStock:
            return "insufficient_stock"

    results = run_in_threads(40, attempt)
    assert set(results) == {"ok", "insufficient_stock"}
    for sku in ("HOT", "COLD"):
        stock = StockLevel.objects.get(variant__sku=sku)
        assert stock.reserved <= stock.on_hand
        held = sum(LineAllocation.objects.filter(line__sku=sku).values_list("quantity", flat=True))
        ordered = sum(OrderLine.objects.filter(sku=sku).values_list("quantity", flat=True))
        assert stock.reserved == held == ordered  # nothing backordered: every unit ordered is reserved
    assert ledger_mismatches() == []
