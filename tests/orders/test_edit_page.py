"""Editing an order in the back office (issue 16): the edit page on the order card, its preview of the
stock and payment difference (orders.editing.order_edit_preview, the same planning as the save, writing
nothing), the preferred delivery window, and the payment settled when an edit changes the total."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from orderloop.catalog.models import Variant
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders import editing, services
from orderloop.orders.domain import LineData, PreferredDelivery
from orderloop.orders.errors import InsufficientStock
from orderloop.orders.models import EventKind, Order, OrderEvent, OrderStatus
from orderloop.payments import services as payment_services
from orderloop.payments.models import PaymentRequest, PaymentRequestStatus, Refund, RefundStatus

from .helpers import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("methods")]

D = Decimal


@pytest.fixture
def manager(make_staff: Callable[..., User]) -> User:
    return make_staff("Manager", username="maria")


@pytest.fixture
def manager_client(manager: User) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def snapshot(order: Order) -> tuple[Any, ...]:
    """Everything an edit may write: a preview must leave it exactly as it was."""
    order.refresh_from_db()
    return (
        list(
            order.lines.order_by("position").values_list(
                "position", "sku", "quantity", "quantity_backordered"
            )
        ),
        list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "reserved")),
        StockMovement.objects.count(),
        OrderEvent.objects.filter(order=order).count(),
        PaymentRequest.objects.count(),
        (order.status, order.ship_city, order.delivery_method_id, order.total_amount, order.preferred_date),
    )


def last_edit(order: Order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order, kind=EventKind.EDIT).latest("id")


def line_id(order: Order, position: int) -> int:
    return order.lines.get(position=position).pk


# --- The preview is what saving does, without writing ----------------------------------------------------


def test_preview_shows_the_stock_and_money_difference_and_writes_nothing(stocked: Callable[..., Variant]):
    stocked("TEE", 10, price="100.00")
    stocked("CAP", 4, price="50.00")
    order = place(("TEE", 2), ("CAP", 1))
    before = snapshot(order)
    change = {
        "quantities": {line_id(order, 1): 5},
        "remove_line_ids": [line_id(order, 2)],
        "delivery_method_code": "express",
    }

    preview = editing.order_edit_preview(order_id=order.pk, **change)

    assert snapshot(order) == before
    assert [
        (c.position, c.sku, c.warehouse, c.reserved, c.available_before, c.available_after)
        for c in preview.stock
    ] == [
        (1, "TEE", "kyiv", 3, 8, 5),
        (2, "CAP", "kyiv", -1, 3, 4),
    ]
    assert {key: money.amount for key, money in preview.totals_before.items()} == {
        "subtotal": D("250.00"),
        "discount": D("0.00"),
        "delivery": D("120.00"),
        "total": D("370.00"),
    }
    assert {key: money.amount for key, money in preview.totals_after.items()} == {
        "subtotal": D("500.00"),
        "discount": D("0.00"),
        "delivery": D("250.00"),
        "total": D("750.00"),
    }
    assert preview.difference.amount == D("380.00")
    # Cash on delivery, nothing paid: nothing to ask for now, nothing to refund.
    assert (preview.paid.amount, preview.due.amount, preview.refund.amount) == (D("0"), D("0"), D("0"))

    # Saving the same input does exactly what the preview said.
    editing.order_edit(order_id=order.pk, actor=None, **change)
    order.refresh_from_db()
    event = last_edit(order)
    assert event.data["changes"] == preview.changes
    assert [(s["warehouse"], s["reserved"]) for s in event.data["stock"]] == [("kyiv", 3), ("kyiv", -1)]
    assert event.data["totals"]["to"]["total"] == "750.00" and order.total_amount == D("750.00")
    assert StockLevel.objects.get(variant__sku="TEE").available == 5
    assert ledger_mismatches() == []


def test_preview_refuses_what_saving_would_refuse(stocked: Callable[..., Variant]):
    stocked("TEE", 3)
    order = place(("TEE", 2))
    before = snapshot(order)
    with pytest.raises(InsufficientStock) as caught:
        editing.order_edit_preview(order_id=order.pk, quantities={line_id(order, 1): 9})
    assert caught.value.details["lines"] == [{"position": 1, "sku": "TEE", "requested": 7, "available": 1}]
    with pytest.raises(InvalidInput) as invalid:
        editing.order_edit_preview(order_id=order.pk, add_lines=[LineData(sku="NOPE", quantity=1)])
    assert set(invalid.value.details) == {"add_lines.0.sku"}
    assert snapshot(order) == before


def test_preview_of_a_backorderable_line_says_how_many_units_wait(stocked: Callable[..., Variant]):
    stocked("TEE", 2, backorder=True)
    order = place(("TEE", 1))
    preview = editing.order_edit_preview(order_id=order.pk, quantities={line_id(order, 1): 4})
    assert [(c.sku, c.reserved) for c in preview.stock] == [("TEE", 1)]
    assert preview.backordered == [{"position": 1, "sku": "TEE", "units": 2}]


# --- The preferred delivery window ---------------------------------------------------------------------


def test_preferred_window_is_edited_checked_and_recorded(stocked: Callable[..., Variant], make_staff):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    manager = make_staff("Manager")
    day = timezone.localdate() + timedelta(days=3)
    window = PreferredDelivery(date=day, time_from=time(10, 0), time_to=time(14, 0))

    editing.order_edit(order_id=order.pk, actor=manager, preferred_delivery=window, reason="customer called")

    order.refresh_from_db()
    assert (order.preferred_date, order.preferred_time_from, order.preferred_time_to) == (
        day,
        time(10, 0),
        time(14, 0),
    )
    assert last_edit(order).data["changes"] == [
        {
            "action": "preferred_delivery",
            "from": {"date": None, "time_from": None, "time_to": None},
            "to": {"date": day.isoformat(), "time_from": "10:00", "time_to": "14:00"},
        }
    ]
    with pytest.raises(InvalidInput) as past:
        editing.order_edit(
            order_id=order.pk,
            actor=None,
            preferred_delivery=PreferredDelivery(date=timezone.localdate() - timedelta(days=1)),
        )
    assert set(past.value.details) == {"preferred_delivery.date"}
    with pytest.raises(InvalidInput) as backwards:
        editing.order_edit(
            order_id=order.pk,
            actor=None,
            preferred_delivery=PreferredDelivery(date=day, time_from=time(14, 0), time_to=time(10, 0)),
        )
    assert set(backwards.value.details) == {"preferred_delivery.time_to"}


def test_an_unchanged_window_whose_day_has_passed_does_not_block_other_changes(stocked):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    passed = timezone.localdate() - timedelta(days=2)
    Order.objects.filter(pk=order.pk).update(preferred_date=passed)
    editing.order_edit(
        order_id=order.pk,
        actor=None,
        quantities={line_id(order, 1): 2},
        preferred_delivery=PreferredDelivery(date=passed),
    )
    assert [c["action"] for c in last_edit(order).data["changes"]] == ["quantity"]


# --- Money: a changed total is settled with the payments ----------------------------------------------


def _paid_bank_transfer_order(stocked: Callable[..., Variant]) -> Order:
    stocked("TEE", 10, price="100.00")
    order = place(("TEE", 2), payment_method_code="bank_transfer", channel="phone")
    services.order_confirm(order_id=order.pk, actor=None)
    payment_services.payment_record_transfer(order_id=order.pk, amount="320.00", actor=None)
    order.refresh_from_db()
    return order


def test_raising_the_total_of_a_paid_order_asks_for_the_difference(stocked, manager):
    order = _paid_bank_transfer_order(stocked)
    change = {"quantities": {line_id(order, 1): 3}}
    preview = editing.order_edit_preview(order_id=order.pk, **change)
    assert (preview.paid.amount, preview.due.amount, preview.refund.amount) == (
        D("320.00"),
        D("100.00"),
        D("0"),
    )
    assert PaymentRequest.objects.count() == 0

    editing.order_edit(order_id=order.pk, actor=manager, **change)

    request = PaymentRequest.objects.get(order=order)
    assert (request.amount, request.status) == (D("100.00"), PaymentRequestStatus.OPEN)


def test_lowering_the_total_of_a_paid_order_plans_the_refund_it_previewed(stocked, manager):
    order = _paid_bank_transfer_order(stocked)
    change = {"quantities": {line_id(order, 1): 1}}
    preview = editing.order_edit_preview(order_id=order.pk, **change)
    assert (preview.due.amount, preview.refund.amount) == (D("0"), D("100.00"))

    editing.order_edit(order_id=order.pk, actor=manager, **change)

    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (D("100.00"), RefundStatus.PENDING)


# --- The page -----------------------------------------------------------------------------------------


def test_the_card_links_to_the_edit_page_only_while_the_order_can_change(stocked, manager_client, client_for):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    card = manager_client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="/orders/{order.number}/edit/"' in card
    # Support may look at orders but not change them: no button, and the page is refused.
    support = client_for("Support")
    assert "/edit/" not in support.get(f"/orders/{order.number}/").content.decode()
    assert support.get(f"/orders/{order.number}/edit/").status_code == 403

    services.order_confirm(order_id=order.pk, actor=None)
    services.order_transition(order_id=order.pk, to=OrderStatus.PICKING, actor=None)
    assert "/edit/" not in manager_client.get(f"/orders/{order.number}/").content.decode()
    refused = manager_client.get(f"/orders/{order.number}/edit/")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'id="edit-refused"' in html and "can no longer be edited" in html and 'name="save"' not in html


@pytest.fixture
def client_for(make_staff: Callable[..., User]) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(make_staff(role, username=f"edit-{role.lower()}"))
        return client

    return make


def _form(order: Order, **overrides: Any) -> dict[str, Any]:
    """The edit form as the page fills it in for `order`, with overrides."""
    data: dict[str, Any] = {
        "country": order.ship_country,
        "region": order.ship_region,
        "city": order.ship_city,
        "postal_code": order.ship_postal_code,
        "line1": order.ship_line1,
        "line2": order.ship_line2,
        "delivery_method": order.delivery_method.code,
        "preferred_date": "",
        "preferred_time_from": "",
        "preferred_time_to": "",
        "reason": "",
    }
    for line in order.lines.all():
        data[f"qty_{line.position}"] = str(line.quantity)
    data.update(overrides)
    return data


def test_the_page_is_prefilled_and_saving_edits_through_the_service(stocked, manager_client, manager):
    stocked("TEE", 10, price="100.00")
    order = place(("TEE", 2))
    page = manager_client.get(f"/orders/{order.number}/edit/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="qty_1"' in html and 'value="2"' in html and 'value="Khreshchatyk 1"' in html
    assert 'id="edit-preview"' in html and "hx-post" in html

    response = manager_client.post(
        f"/orders/{order.number}/edit/",
        _form(
            order,
            qty_1="4",
            city="Lviv",
            postal_code="79000",
            line1="Rynok 1",
            delivery_method="express",
            reason="customer called",
            save="1",
        ),
    )

    assert response.status_code == 302 and response["Location"] == f"/orders/{order.number}/"
    order.refresh_from_db()
    assert (order.ship_city, order.delivery_method.code, order.total_amount) == (
        "Lviv",
        "express",
        D("650.00"),
    )
    assert order.lines.get().quantity == 4
    event = last_edit(order)
    assert event.actor == manager and event.reason == "customer called"
    # An express delivery method makes the order express, whichever way it got the method.
    assert [c["action"] for c in event.data["changes"]] == [
        "quantity",
        "shipping_address",
        "delivery_method",
        "priority",
    ]
    assert order.priority == "express"
    assert "Order changed." in manager_client.get(response["Location"]).content.decode()


def test_htmx_preview_answers_with_the_difference_and_saves_nothing(stocked, manager_client):
    stocked("TEE", 10, price="100.00")
    order = place(("TEE", 2))
    before = snapshot(order)
    response = manager_client.post(
        f"/orders/{order.number}/edit/",
        _form(order, qty_1="5", save="1"),  # the button's name is ignored: htmx asks for the preview
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<form" not in html and 'id="preview-stock"' in html
    assert 'data-sku="TEE" data-warehouse="kyiv" data-reserved="3"' in html
    assert "reserve 3 more units" in html and "8 → 5" in html
    assert "Line 1 (TEE): quantity 2 → 5." in re.sub(r"</?bdi>", "", html)
    assert "+UAH\u00a0300.00" in html  # the total's difference
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"qty_1": "abc"}, "qty_1", "Enter a whole number."),
        ({"qty_1": "0"}, "qty_1", "remove the line instead of setting 0"),
        ({"qty_1": "50"}, "qty_1", "Not enough stock: 48 requested, 8 available."),
        ({"postal_code": "", "line1": ""}, "line1", "This field is required"),
        ({"delivery_method": "teleport"}, "delivery_method", "Select a valid choice."),
        ({"preferred_time_from": "10:00"}, "preferred_date", "A time window needs a date."),
        ({"remove_1": "on"}, None, "An order needs at least one line; cancel the order instead."),
    ],
)
def test_bad_input_is_a_form_error_never_a_500_and_changes_nothing(
    stocked, manager_client, overrides, field, message
):
    stocked("TEE", 10)
    order = place(("TEE", 2))
    before = snapshot(order)
    response = manager_client.post(f"/orders/{order.number}/edit/", _form(order, save="1", **overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if field is not None and not field.startswith("qty_"):
        assert f'<div class="field field-invalid" id="field-{field}">' in html
    assert snapshot(order) == before


def test_new_lines_from_the_product_search_are_added(stocked, manager_client):
    stocked("TEE", 10, price="100.00")
    stocked("CAP", 3, price="50.00")
    order = place(("TEE", 1))
    response = manager_client.post(
        f"/orders/{order.number}/edit/",
        {**_form(order, save="1"), "line_sku": ["CAP"], "line_quantity": ["2"], "line_note": ["blue"]},
    )
    assert response.status_code == 302
    added = order.lines.get(position=2)
    assert (added.sku, added.quantity, added.note) == ("CAP", 2, "blue")
    unknown = manager_client.post(
        f"/orders/{order.number}/edit/",
        {**_form(order, save="1"), "line_sku": ["NOPE"], "line_quantity": ["1"], "line_note": [""]},
    )
    assert unknown.status_code == 400 and "No product has this SKU." in unknown.content.decode()


def test_an_order_that_moved_on_while_the_form_was_open_is_refused_clearly(stocked, manager_client):
    stocked("TEE", 10)
    order = place(("TEE", 2))
    services.order_cancel(order_id=order.pk, actor=None, reason="customer")
    response = manager_client.post(f"/orders/{order.number}/edit/", _form(order, qty_1="3", save="1"))
    assert response.status_code == 409
    assert "can no longer be edited" in response.content.decode()


def test_the_api_edits_the_preferred_window(stocked, api_client):
    stocked("TEE", 5)
    order = place(("TEE", 1))
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = api_client("Manager").post(
        f"/api/v1/orders/{order.number}/edit",
        {"preferred_delivery": {"date": day, "time_from": "09:00", "time_to": "12:00"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["preferred_delivery"] == {
        "date": day,
        "time_from": "09:00:00",
        "time_to": "12:00:00",
    }


def test_a_form_back_to_what_the_order_says_previews_nothing_and_saving_it_is_refused(
    stocked, manager_client
):
    stocked("TEE", 10)
    order = place(("TEE", 2))
    preview = manager_client.post(
        f"/orders/{order.number}/edit/", _form(order), headers={"HX-Request": "true"}
    )
    assert preview.status_code == 200
    assert (
        'id="preview-hint"' in preview.content.decode() and "preview-errors" not in preview.content.decode()
    )
    saved = manager_client.post(f"/orders/{order.number}/edit/", _form(order, save="1"))
    assert saved.status_code == 400 and "Nothing to change." in saved.content.decode()
