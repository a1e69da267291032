"""SLA rules: the pure clock, the periodic task marking exactly the overdue orders and notifying once,
the breach cleared when the status changes, and the breached-first selector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone, translation

from orderloop.notifications.models import StaffNotification
from orderloop.orders import services, sla
from orderloop.orders.models import EventKind, Order, OrderEvent, OrderStatus
from orderloop.orders.tasks import check_sla

from .helpers import consume_events, customer, place

# --- The rules, without a database --------------------------------------------------------------------


def test_rules_are_minutes_per_status_and_unknown_entries_are_ignored():
    rules = sla.parse_rules({"new": 30, "confirmed": "1440", "nonsense": 5, "packed": 0, "paid": "x"})
    assert rules == {"new": timedelta(minutes=30), "confirmed": timedelta(hours=24)}
    assert sla.parse_rules(sla.DEFAULT_SLA_RULES) == {
        "new": timedelta(minutes=30),
        "confirmed": timedelta(hours=24),
        "awaiting_payment": timedelta(hours=48),
        "packed": timedelta(hours=24),
    }


def test_breach_is_strictly_after_the_limit():
    rules = sla.parse_rules({"new": 30})
    since = timezone.now()
    assert not sla.is_breached(status="new", since=since, now=since + timedelta(minutes=30), rules=rules)
    assert sla.is_breached(
        status="new", since=since, now=since + timedelta(minutes=30, seconds=1), rules=rules
    )
    assert not sla.is_breached(status="paid", since=since, now=since + timedelta(days=30), rules=rules)
    assert sla.format_limit(timedelta(minutes=30)) == "30 min"
    assert sla.format_limit(timedelta(hours=24)) == "24 h"
    assert sla.format_limit(timedelta(minutes=90)) == "1 h 30 min"


# --- The periodic task ------------------------------------------------------------------------------


@pytest.fixture
def shop(methods: None, stocked: Any) -> None:
    stocked("TEE", 100)
    stocked("CAP", 100)


def aged(order: Order, status: str, age: timedelta, **fields: Any) -> Order:
    """Put the order in `status` since `age` ago (a test shortcut for time passing)."""
    Order.objects.filter(pk=order.pk).update(status=status, status_changed_at=timezone.now() - age, **fields)
    order.refresh_from_db()
    return order


def new_order(n: int) -> Order:
    """Orders of different customers, so no risk flag gets in the way."""
    return place(("TEE", 1), customer=customer(phone=f"050 000 00 {n:02d}", email=f"c{n}@example.com"))


@pytest.fixture
def managers(make_staff: Any) -> tuple[Any, Any]:
    return make_staff("Manager", username="olena"), make_staff("Manager", username="taras")


@pytest.mark.usefixtures("shop")
def test_the_task_marks_exactly_the_overdue_orders_and_notifies_once(managers, make_staff):
    make_staff("Support", username="sofia")  # not a manager: never notified
    new_late = aged(new_order(1), "new", timedelta(minutes=31))
    services.order_assign_manager(order_id=new_late.pk, manager_username="olena", actor=None)
    new_fresh = aged(new_order(2), "new", timedelta(minutes=10))
    confirmed_late = aged(new_order(3), "confirmed", timedelta(hours=25))
    awaiting_ok = aged(new_order(4), "awaiting_payment", timedelta(hours=47))
    awaiting_late = aged(new_order(5), "awaiting_payment", timedelta(hours=49))
    packed_late = aged(new_order(6), "packed", timedelta(hours=25))
    held = aged(new_order(7), "new", timedelta(hours=2), on_hold=True)
    paid_old = aged(new_order(8), "paid", timedelta(days=10))  # no rule for paid

    result = check_sla.call()
    consume_events()  # notifications react to `order.sla_breached`

    late = [new_late, confirmed_late, awaiting_late, packed_late]
    assert sorted(result["breached"]) == sorted(order.number for order in late)
    for order in late:
        order.refresh_from_db()
        assert order.sla_breached_at is not None and order.sla_rule == order.status
        event = OrderEvent.objects.get(order=order, kind=EventKind.SLA_BREACHED)
        assert event.data["rule"] == order.status and event.actor is None
    for order in (new_fresh, awaiting_ok, held, paid_old):
        order.refresh_from_db()
        assert order.sla_breached_at is None and order.sla_rule == ""

    # The responsible manager alone for her order; every manager for the unassigned ones.
    recipients = {
        number: sorted(
            StaffNotification.objects.filter(order__number=number).values_list(
                "recipient__username", flat=True
            )
        )
        for number in (order.number for order in late)
    }
    assert recipients[new_late.number] == ["olena"]
    assert recipients[confirmed_late.number] == ["olena", "taras"]
    assert result["notified"] == 1 + 3 * 2
    assert not StaffNotification.objects.filter(recipient__username="sofia").exists()

    # Running it again (or a second scheduler's run) changes nothing.
    assert check_sla.call() == {"breached": [], "notified": 0}
    consume_events()
    assert StaffNotification.objects.count() == 7
    assert OrderEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 4


@pytest.mark.usefixtures("shop")
def test_a_second_mark_of_the_same_breach_is_a_no_op(managers):
    order = aged(new_order(1), "new", timedelta(hours=1))
    rules = sla.sla_rules()
    now = timezone.now()
    assert sla.order_mark_sla_breach(order_id=order.pk, now=now, rules=rules) is not None
    assert sla.order_mark_sla_breach(order_id=order.pk, now=now, rules=rules) is None
    consume_events()
    assert StaffNotification.objects.filter(order=order).count() == 2


@pytest.mark.usefixtures("shop")
def test_the_breach_clears_when_the_status_changes_and_a_new_one_is_a_new_notification(managers):
    order = aged(new_order(1), "new", timedelta(hours=1))
    check_sla.call()
    moved = services.order_confirm(order_id=order.pk, actor=None)
    assert (moved.sla_breached_at, moved.sla_rule) == (None, "")
    change = OrderEvent.objects.filter(order=order, kind=EventKind.STATUS_CHANGE).latest("id")
    assert change.data["sla_breach_cleared"] == "new"
    assert check_sla.call()["breached"] == []  # confirmed just now

    aged(order, "confirmed", timedelta(hours=25))
    assert check_sla.call()["breached"] == [order.number]
    consume_events()
    assert StaffNotification.objects.filter(order=order).count() == 4  # 2 managers × 2 breaches


@pytest.mark.usefixtures("shop")
def test_nobody_to_notify_still_marks_the_breach():
    order = aged(new_order(1), "new", timedelta(hours=1))
    assert check_sla.call() == {"breached": [order.number], "notified": 0}


@pytest.mark.usefixtures("shop")
def test_rules_come_from_settings(managers):
    order = aged(new_order(1), "new", timedelta(minutes=45))
    with override_settings(ORDERLOOP={**settings.ORDERLOOP, "SLA_RULES": {"new": 60}}):
        assert check_sla.call()["breached"] == []
    with override_settings(ORDERLOOP={**settings.ORDERLOOP, "SLA_RULES": {}}):
        assert check_sla.call()["breached"] == []
    assert check_sla.call()["breached"] == [order.number]  # the default: 30 minutes


@pytest.mark.usefixtures("shop")
def test_breached_orders_first_longest_overdue_first(managers):
    fine_old = new_order(1)
    breached_late = aged(new_order(2), "new", timedelta(minutes=40))
    fine_new = new_order(3)
    breached_early = aged(new_order(4), "confirmed", timedelta(hours=30))
    check_sla.call()
    Order.objects.filter(pk=breached_early.pk).update(sla_breached_at=timezone.now() - timedelta(hours=6))
    ordered = list(sla.sla_breached_first(Order.objects.all()).values_list("number", flat=True))
    assert ordered == [breached_early.number, breached_late.number, fine_new.number, fine_old.number]
    assert list(sla.sla_breached_orders().values_list("number", flat=True)) == [
        breached_early.number,
        breached_late.number,
    ]


@pytest.mark.usefixtures("shop")
def test_the_notification_reads_in_the_readers_language(managers):
    order = aged(new_order(1), "awaiting_payment", timedelta(hours=50))
    check_sla.call()
    consume_events()
    note = StaffNotification.objects.filter(order=order).first()
    assert note is not None and note.kind == "sla_breach"
    assert note.params["status"] == "awaiting_payment"
    assert f"Order {order.number} has been in status “Awaiting payment” for more than 48 h" in note.text
    with translation.override("uk"):
        label = str(OrderStatus.AWAITING_PAYMENT.label)
        assert label != "Awaiting payment" and label in note.text  # the status label in Ukrainian
