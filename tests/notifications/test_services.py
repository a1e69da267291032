"""Notification services: staff notes once per key, marking read, and the customer-message outbox
(written once per event and channel, sent once, a failed send released for a retry)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from orderloop.core.errors import NotFound
from orderloop.notifications import selectors, services
from orderloop.notifications.models import CustomerMessage, StaffNotification

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_staff: Any) -> tuple[Any, Any]:
    return make_staff("Manager", username="olena"), make_staff("Manager", username="taras")


def test_notify_staff_once_per_recipient_and_key(staff):
    olena, taras = staff
    message = gettext_noop("Order %(number)s needs a look.")
    first = services.notify_staff(
        recipients=[olena, taras], kind="info", message=message, params={"number": "1001"}, key="k1"
    )
    assert len(first) == 2
    again = services.notify_staff(
        recipients=[olena, taras, None], kind="info", message=message, params={"number": "1001"}, key="k1"
    )
    assert again == []
    assert StaffNotification.objects.count() == 2
    # Without a key every call notifies.
    services.notify_staff(recipients=[olena], kind="info", message="Hello")
    services.notify_staff(recipients=[olena], kind="info", message="Hello")
    assert selectors.unread_count(user=olena) == 3
    assert StaffNotification.objects.filter(recipient=olena).first().text in {
        "Hello",
        "Order 1001 needs a look.",
    }
    assert services.notify_staff(recipients=[], kind="info", message="nobody") == []


def test_mark_read_only_own_notifications(staff):
    olena, taras = staff
    (note,) = services.notify_staff(recipients=[olena], kind="info", message="Hi")
    note = StaffNotification.objects.get(recipient=olena)
    with pytest.raises(NotFound):
        services.notification_mark_read(notification_id=note.pk, user=taras)
    read = services.notification_mark_read(notification_id=note.pk, user=olena)
    assert read.read_at is not None
    first_read = StaffNotification.objects.get(pk=note.pk).read_at
    services.notification_mark_read(notification_id=note.pk, user=olena)  # again: unchanged
    assert StaffNotification.objects.get(pk=note.pk).read_at == first_read
    services.notify_staff(recipients=[olena, taras], kind="info", message="Two")
    assert services.notifications_mark_all_read(user=olena) == 1
    assert (selectors.unread_count(user=olena), selectors.unread_count(user=taras)) == (0, 1)


def queue(event_key: str = "order_event:1") -> CustomerMessage:
    return services.customer_message_queue(
        order=None,
        event_key=event_key,
        kind="test",
        recipient="buyer@example.com",
        language="sv",
        subject="Hej\nthere",
        body="Body",
    )


def test_a_customer_message_is_written_and_queued_once_per_event_and_channel():
    first = queue()
    second = queue()
    assert first.pk == second.pk and first.subject == "Hej there"
    queued = DBTaskResult.objects.filter(task_path="orderloop.notifications.tasks.send_customer_message")
    assert [row.args_kwargs["kwargs"] for row in queued] == [{"message_id": first.pk}]
    assert queue("order_event:2").pk != first.pk


def test_sending_is_claimed_and_a_failure_is_released_for_a_retry(monkeypatch, mailoutbox):
    message = queue()

    def broken(self: Any, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", broken)
    with pytest.raises(ConnectionRefusedError):
        services.customer_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert (message.sent_at, message.claimed_at, message.attempts) == (None, None, 1)
    assert "smtp down" in message.last_error

    monkeypatch.undo()
    assert services.customer_message_send(message_id=message.pk) is True
    message.refresh_from_db()
    assert message.sent_at is not None and message.last_error == "" and message.attempts == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].subject == "Hej there"


def test_a_message_being_sent_elsewhere_is_left_alone_unless_the_claim_is_stale(mailoutbox):
    message = queue()
    CustomerMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())
    assert services.customer_message_send(message_id=message.pk) is False
    assert mail.outbox == []
    CustomerMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert services.customer_message_send(message_id=message.pk) is True
    assert len(mailoutbox) == 1
