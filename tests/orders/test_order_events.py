"""Issue 18: every change of an order appends one domain event in the same transaction — the right type,
the actor, the next sequence number and a payload a consumer can use — and a refused or rolled-back
change appends none."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from orderloop.core.events import events_of
from orderloop.core.models import DomainEvent
from orderloop.orders import backorders, domain, editing, services, shortpick, sla
from orderloop.orders.errors import InvalidTransition, OrderOnHold
from orderloop.orders.models import LineAllocation, Order, OrderStatus

from .helpers import customer, place

S = OrderStatus


@pytest.fixture
def shop(methods: None, stocked: Any) -> None:
    stocked("TEE", 50, price="100.00")
    stocked("CAP", 50, price="40.00")


@pytest.fixture
def manager(make_staff: Any) -> Any:
    return make_staff("Manager", username="maria")


def last_event(order: Order) -> DomainEvent:
    return events_of("order", order.pk)[-1]


def assert_written(event: DomainEvent, order: Order, type_: str, *, sequence: int, actor: Any) -> None:
    assert (event.type, event.subject_type, event.subject_id) == (type_, "order", str(order.pk))
    assert event.sequence == sequence
    assert event.data["number"] == order.number
    if actor is None:
        assert (event.actor_kind, event.actor_id) == ("system", None)
    else:
        assert (event.actor_kind, event.actor_id, event.actor_name) == ("staff", actor.pk, actor.username)


def path_to(target: str) -> list[str]:
    """The shortest walk through the status table from `new` to `target`."""
    paths: deque[list[str]] = deque([[S.NEW]])
    seen = {S.NEW.value}
    while paths:
        path = paths.popleft()
        if path[-1] == target:
            return path[1:]
        for following in domain.allowed_next(path[-1]):
            if following not in seen:
                seen.add(following)
                paths.append([*path, following])
    raise AssertionError(f"no way to {target}")


@pytest.mark.usefixtures("shop")
def test_placing_records_order_placed_as_the_first_event_with_lines_and_total(manager):
    order = place(("TEE", 2), ("CAP", 1), actor=manager, channel="phone")
    (event,) = events_of("order", order.pk)
    assert_written(event, order, "order.placed", sequence=1, actor=manager)
    data = event.data
    assert (data["channel"], data["status"], data["payment_method"]) == ("phone", "new", "cod")
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in data["lines"]] == [
        ("TEE", 2, {"amount": "100.00", "currency": "UAH"}),
        ("CAP", 1, {"amount": "40.00", "currency": "UAH"}),
    ]
    assert data["total"] == {"amount": str(order.total_amount), "currency": "UAH"}
    assert data["customer_email"] == "olena@example.com" and data["language"] == "uk"


@pytest.mark.usefixtures("shop")
def test_a_web_order_without_a_signed_in_user_was_placed_by_the_customer():
    event = last_event(place(("TEE", 1)))
    assert (event.type, event.actor_kind, event.actor_id) == ("order.placed", "customer", None)


@pytest.mark.usefixtures("shop")
def test_placement_that_flags_a_risk_records_it_second():
    order = place(("TEE", 1), customer=customer(phone="+46 70 123 45 67"))  # a Swedish phone, a UA address
    placed, flagged = events_of("order", order.pk)
    assert (placed.type, placed.sequence) == ("order.placed", 1)
    assert (flagged.type, flagged.sequence) == ("order.risk_flagged", 2)
    assert [flag["code"] for flag in flagged.data["flags"]] == [flag["code"] for flag in order.risk_flags]


@pytest.mark.parametrize("status", [status for status in S.values if status != S.NEW])
@pytest.mark.usefixtures("shop")
def test_every_status_move_records_order_status_with_from_and_to(status, manager):
    order = place(("TEE", 1))
    path = path_to(status)
    for step in path:
        reason = "customer changed their mind" if step == S.CANCELLED else ""
        services.order_transition(order_id=order.pk, to=step, actor=manager, reason=reason)
    order.refresh_from_db()
    assert order.status == status
    event = last_event(order)
    assert_written(event, order, f"order.{status}", sequence=1 + len(path), actor=manager)
    assert (event.data["from"], event.data["to"]) == (([S.NEW, *path])[-2], status)
    if status == S.CANCELLED:
        assert event.data["reason"] == "customer changed their mind"
        assert event.data["released_units"] == 1


@pytest.mark.usefixtures("shop")
def test_an_expired_unpaid_order_says_how_long_the_customer_had(manager):
    order = place(("TEE", 1), payment_method_code="bank_transfer")
    services.order_cancel(order_id=order.pk, actor=None, reason="payment_timeout", payment_timeout_hours=72)
    event = last_event(order)
    assert_written(event, order, "order.cancelled", sequence=2, actor=None)
    assert (event.data["reason"], event.data["payment_timeout_hours"]) == ("payment_timeout", 72)


@pytest.mark.usefixtures("shop")
def test_a_refused_or_rolled_back_move_records_nothing(manager):
    order = place(("TEE", 1))
    services.order_hold(order_id=order.pk, actor=manager, reason="checking the address")
    before = DomainEvent.objects.count()

    with pytest.raises(OrderOnHold):  # confirming a held order
        services.order_confirm(order_id=order.pk, actor=manager)
    with pytest.raises(InvalidTransition) as refused:  # not in the table
        services.order_transition(order_id=order.pk, to=S.SHIPPED, actor=manager)
    assert refused.value.code == "invalid_transition"
    assert refused.value.details["allowed"] == domain.allowed_next(S.NEW)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.order_release_hold(order_id=order.pk, actor=manager)
        raise RuntimeError("the request failed after releasing")

    assert DomainEvent.objects.count() == before
    order.refresh_from_db()
    assert order.status == S.NEW and order.on_hold


@pytest.mark.usefixtures("shop")
def test_hold_and_release_record_order_held_and_order_released(manager):
    order = place(("TEE", 1))
    services.order_hold(order_id=order.pk, actor=manager, reason="checking the address")
    held = last_event(order)
    assert_written(held, order, "order.held", sequence=2, actor=manager)
    assert held.data["reason"] == "checking the address"

    services.order_release_hold(order_id=order.pk, actor=manager)
    assert_written(last_event(order), order, "order.released", sequence=3, actor=manager)


@pytest.mark.usefixtures("shop")
def test_assigning_a_manager_records_order_assigned_from_and_to(manager, make_staff):
    order = place(("TEE", 1))
    services.order_assign_manager(order_id=order.pk, manager_username="maria", actor=manager)
    first = last_event(order)
    assert_written(first, order, "order.assigned", sequence=2, actor=manager)
    assert (first.data["from"], first.data["to"]) == (None, "maria")
    make_staff("Manager", username="taras")
    services.order_assign_manager(order_id=order.pk, manager_username="taras", actor=manager)
    assert (last_event(order).data["from"], last_event(order).data["to"]) == ("maria", "taras")


@pytest.mark.usefixtures("shop")
def test_editing_records_order_edited_with_what_changed_and_the_new_totals(manager):
    order = place(("TEE", 1))
    line = order.lines.get()
    editing.order_line_set_quantity(
        order_id=order.pk, line_id=line.pk, quantity=3, actor=manager, reason="call"
    )
    event = last_event(order)
    assert_written(event, order, "order.edited", sequence=2, actor=manager)
    assert event.data["reason"] == "call"
    assert event.data["changes"] == [{"action": "quantity", "position": 1, "sku": "TEE", "from": 1, "to": 3}]
    assert event.data["totals"]["from"]["subtotal"] == "100.00"
    assert event.data["totals"]["to"]["subtotal"] == "300.00"


@pytest.mark.usefixtures("shop")
def test_a_short_pick_records_order_edited(manager):
    order = place(("TEE", 2))
    allocation = LineAllocation.objects.get(line__order=order)
    shortpick.line_short_pick(
        order_id=order.pk, line_id=allocation.line_id, stock_id=allocation.stock_id, quantity=1, actor=manager
    )
    event = last_event(order)
    assert_written(event, order, "order.edited", sequence=2, actor=manager)
    (change,) = event.data["changes"]
    assert (change["action"], change["sku"], change["quantity"]) == ("short_pick", "TEE", 1)


@pytest.mark.usefixtures("methods")
def test_stock_for_a_backordered_order_records_order_stock_allocated(stocked, manager):
    stocked("LINEN", 2, backorder=True)
    first = place(("LINEN", 2))
    waiting = place(("LINEN", 2), customer=customer(phone="067 765 43 21", email="taras@example.com"))
    assert waiting.status == S.AWAITING_STOCK
    services.order_cancel(order_id=first.pk, actor=None, reason="changed mind")

    backorders.backorders_serve_available(actor=manager)

    types = [event.type for event in events_of("order", waiting.pk)]
    assert types == ["order.placed", "order.stock_allocated", "order.confirmed"]
    allocated = events_of("order", waiting.pk)[1]
    assert_written(allocated, waiting, "order.stock_allocated", sequence=2, actor=manager)
    assert allocated.data["still_backordered"] is False
    assert [(item["sku"], item["quantity"]) for item in allocated.data["allocated"]] == [("LINEN", 2)]


@pytest.mark.usefixtures("shop")
def test_reviewing_the_risk_records_order_risk_reviewed(manager):
    order = place(("TEE", 1), customer=customer(phone="+46 70 123 45 67"))
    services.order_review_risk(order_id=order.pk, actor=manager, note="called the customer")
    event = last_event(order)
    assert_written(event, order, "order.risk_reviewed", sequence=3, actor=manager)
    assert event.data["flags"] == [flag["code"] for flag in order.risk_flags]


@pytest.mark.usefixtures("shop")
def test_an_sla_breach_records_order_sla_breached_once():
    order = place(("TEE", 1))
    since = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk=order.pk).update(status_changed_at=since)
    rules = sla.sla_rules()
    assert sla.order_mark_sla_breach(order_id=order.pk, now=timezone.now(), rules=rules) is not None
    assert sla.order_mark_sla_breach(order_id=order.pk, now=timezone.now(), rules=rules) is None
    event = last_event(order)
    assert_written(event, order, "order.sla_breached", sequence=2, actor=None)
    assert (event.data["status"], event.data["limit_minutes"]) == ("new", 30)
    assert event.data["since"] == since.isoformat()
    assert DomainEvent.objects.filter(type="order.sla_breached").count() == 1
