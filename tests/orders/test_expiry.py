"""Expiry of unpaid prepaid orders: only the overdue ones are cancelled (reason payment_timeout), their
stock goes back, and the customer gets one email in their language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.inventory.models import StockLevel
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.notifications.models import CustomerMessage
from orderloop.notifications.tasks import send_customer_message
from orderloop.orders import expiry, services
from orderloop.orders.models import EventKind, LineAllocation, Order, OrderEvent, OrderStatus
from orderloop.orders.tasks import expire_unpaid_orders

from .helpers import consume_events, customer, place

pytestmark = pytest.mark.usefixtures("methods")


# --- The rule, without a database ---------------------------------------------------------------------


def test_only_prepaid_orders_waiting_for_payment_past_the_deadline_are_overdue():
    now = timezone.now()
    hours = timedelta(hours=72)
    since = now - timedelta(hours=73)
    assert expiry.is_payment_overdue(
        status="awaiting_payment", is_prepaid=True, since=since, now=now, timeout=hours
    )
    assert not expiry.is_payment_overdue(
        status="awaiting_payment", is_prepaid=True, since=now - timedelta(hours=71), now=now, timeout=hours
    )
    assert not expiry.is_payment_overdue(
        status="awaiting_payment", is_prepaid=False, since=since, now=now, timeout=hours
    )
    assert not expiry.is_payment_overdue(status="paid", is_prepaid=True, since=since, now=now, timeout=hours)
    assert not expiry.is_payment_overdue(status="new", is_prepaid=True, since=since, now=now, timeout=hours)
    assert expiry.is_payment_overdue(
        status="new",
        is_prepaid=True,
        since=since,
        now=now,
        timeout=hours,
        statuses=("new", "awaiting_payment"),
    )
    assert not expiry.is_payment_overdue(
        status="awaiting_payment", is_prepaid=True, since=since, now=now, timeout=timedelta(0)
    )


# --- The periodic task ------------------------------------------------------------------------------


@pytest.fixture
def tee(stocked: Any) -> Any:
    return stocked("TEE", 50)


def reserved() -> int:
    return StockLevel.objects.get(variant__sku="TEE").reserved


def order_of(n: int, *, payment: str = "card", language: str = "uk", email: str | None = None) -> Order:
    buyer = customer(
        phone=f"050 000 00 {n:02d}",
        email=f"buyer{n}@example.com" if email is None else email,
        language=language,
    )
    return place(("TEE", 2), customer=buyer, payment_method_code=payment)


def waiting(order: Order, age: timedelta, status: str = OrderStatus.AWAITING_PAYMENT) -> Order:
    """Confirm a prepaid order (it then waits for the money) and let `age` pass."""
    if status == OrderStatus.AWAITING_PAYMENT and order.payment_method.is_prepaid:
        services.order_confirm(order_id=order.pk, actor=None)
    else:
        Order.objects.filter(pk=order.pk).update(status=status)
    Order.objects.filter(pk=order.pk).update(status_changed_at=timezone.now() - age)
    order.refresh_from_db()
    assert order.status == status
    return order


@pytest.mark.usefixtures("tee")
def test_the_task_cancels_only_overdue_unpaid_prepaid_orders_and_releases_their_stock():
    overdue = waiting(order_of(1), timedelta(hours=73))
    overdue_transfer = waiting(order_of(2, payment="bank_transfer"), timedelta(days=5))
    in_time = waiting(order_of(3), timedelta(hours=71))
    cash = waiting(order_of(4, payment="cod"), timedelta(days=9), status=OrderStatus.AWAITING_PAYMENT)
    paid = waiting(order_of(5), timedelta(days=9), status=OrderStatus.PAID)
    part_paid = waiting(order_of(6), timedelta(days=9), status=OrderStatus.PARTIALLY_PAID)
    unconfirmed = waiting(order_of(7), timedelta(days=9), status=OrderStatus.NEW)
    assert reserved() == 14

    result = expire_unpaid_orders.call()

    assert sorted(result["cancelled"]) == sorted([overdue.number, overdue_transfer.number])
    for order in (overdue, overdue_transfer):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        event = OrderEvent.objects.filter(order=order, kind=EventKind.STATUS_CHANGE).latest("id")
        assert (event.from_status, event.to_status, event.reason) == (
            "awaiting_payment",
            "cancelled",
            "payment_timeout",
        )
        assert event.actor is None and event.data["released_units"] == 2
        assert not LineAllocation.objects.filter(line__order=order).exists()
    for order in (in_time, cash, paid, part_paid, unconfirmed):
        status = order.status
        order.refresh_from_db()
        assert order.status == status
    assert reserved() == 10
    assert ledger_mismatches() == []

    # Idempotent: a second run (or a second scheduler) finds nothing more.
    assert expire_unpaid_orders.call() == {"cancelled": []}
    consume_events()
    assert CustomerMessage.objects.filter(kind="order_payment_timeout").count() == 2


@pytest.mark.usefixtures("tee")
def test_the_customer_gets_one_email_in_their_language(mailoutbox):
    order = waiting(order_of(1, language="uk"), timedelta(hours=80))
    expire_unpaid_orders.call()
    consume_events()  # notifications react to `order.cancelled`

    message = CustomerMessage.objects.get(order=order, kind="order_payment_timeout")
    assert (message.channel, message.language, message.recipient, message.kind) == (
        "email",
        "uk",
        "buyer1@example.com",
        "order_payment_timeout",
    )
    assert message.sent_at is None
    queued = DBTaskResult.objects.filter(task_path="orderloop.notifications.tasks.send_customer_message")
    assert {"message_id": message.pk} in [task.args_kwargs["kwargs"] for task in queued]

    assert send_customer_message.call(message_id=message.pk) is True
    assert send_customer_message.call(message_id=message.pk) is False  # run twice: sent once
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["buyer1@example.com"]
    assert order.number in email.subject
    assert "Скасоване" in email.body  # the status label, in Ukrainian
    assert "Olena Shevchenko" in email.body
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


@pytest.mark.usefixtures("tee")
def test_an_english_speaking_customer_reads_english(mailoutbox):
    order = waiting(order_of(1, language="en"), timedelta(hours=80))
    expire_unpaid_orders.call()
    consume_events()
    message = CustomerMessage.objects.get(order=order, kind="order_payment_timeout")
    send_customer_message.call(message_id=message.pk)
    assert "Status: Cancelled" in mailoutbox[0].body
    assert "within 72 hours" in mailoutbox[0].body


@pytest.mark.usefixtures("tee")
def test_a_customer_without_email_is_not_written_to_but_the_order_expires():
    order = waiting(order_of(1, email=""), timedelta(hours=80))
    assert expire_unpaid_orders.call() == {"cancelled": [order.number]}
    assert consume_events()  # notifications saw the event and had nobody to write to
    assert not CustomerMessage.objects.filter(kind="order_payment_timeout").exists()


@pytest.mark.usefixtures("tee")
def test_nothing_is_sent_for_a_rolled_back_expiry():
    order = waiting(order_of(1), timedelta(hours=80))
    consume_events()  # the placement's (its confirmation email)
    tasks_before = DBTaskResult.objects.filter(task_path__endswith="send_customer_message").count()
    with pytest.raises(RuntimeError), transaction.atomic():
        expiry.order_expire_unpaid(order_id=order.pk)
        raise RuntimeError("crash before commit")
    assert consume_events() == []  # the rolled-back cancellation left no event to react to
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert not CustomerMessage.objects.filter(kind="order_payment_timeout").exists()
    assert DBTaskResult.objects.filter(task_path__endswith="send_customer_message").count() == tasks_before


@pytest.mark.usefixtures("tee")
def test_timeout_and_statuses_come_from_settings():
    short = waiting(order_of(1), timedelta(hours=2))
    unconfirmed = waiting(order_of(2), timedelta(hours=2), status=OrderStatus.NEW)
    with override_settings(ORDERLOOP={**settings.ORDERLOOP, "PAYMENT_TIMEOUT_HOURS": 0}):
        assert expire_unpaid_orders.call() == {"cancelled": []}
    custom = {
        **settings.ORDERLOOP,
        "PAYMENT_TIMEOUT_HOURS": 1,
        "PAYMENT_TIMEOUT_STATUSES": ["new", "awaiting_payment"],
    }
    with override_settings(ORDERLOOP=custom):
        assert sorted(expire_unpaid_orders.call()["cancelled"]) == sorted([short.number, unconfirmed.number])
    assert ledger_mismatches() == []


@pytest.mark.usefixtures("tee")
def test_an_order_paid_meanwhile_is_left_alone():
    order = waiting(order_of(1), timedelta(hours=80))
    services.order_transition(order_id=order.pk, to=OrderStatus.PAID, actor=None)
    # The id was picked up before the payment arrived; the re-check under the lock sees it paid.
    assert expiry.order_expire_unpaid(order_id=order.pk) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
