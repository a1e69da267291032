"""Sending a purchase order e-mails its PDF to the supplier through the task outbox (once, even when the
task runs twice; nothing for a rolled-back send), and low-stock alerts reach the responsible staff once
per episode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.catalog.models import Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.notifications.models import StaffNotification
from orderloop.purchasing import services
from orderloop.purchasing.models import ReorderRule, Supplier, SupplierMessage
from orderloop.purchasing.pdf import render_purchase_order_pdf

pytestmark = pytest.mark.django_db

TASK = "orderloop.purchasing.tasks.send_supplier_message"


def test_sending_emails_the_pdf_once(
    methods: None, stocked: Callable[..., Variant], supplier: Supplier, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-E", 0)
    po = po_for((shirt, 12))
    message = SupplierMessage.objects.get(purchase_order=po)
    assert message.recipient == "orders@linen.example"
    assert po.number in message.subject and "SHIRT-E" in message.body
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1, "enqueued with the send"
    assert mail.outbox == [], "nothing is sent inside the transaction"

    assert services.supplier_message_send(message_id=message.pk) is True
    assert services.supplier_message_send(message_id=message.pk) is False, "a second run sends nothing"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["orders@linen.example"]
    [(name, content, mimetype)] = sent.attachments
    assert (name, mimetype) == (f"{po.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_the_pdf_is_in_the_suppliers_language_and_lists_the_lines(
    methods: None, stocked: Callable[..., Variant], supplier: Supplier, po_for: Callable[..., Any]
) -> None:
    services.supplier_update(supplier=supplier, language="sv", actor=None)
    shirt = stocked("SHIRT-PDF", 0)
    po = po_for((shirt, 3), send=False)
    pdf = render_purchase_order_pdf(po, compress=False)
    assert pdf.startswith(b"%PDF") and po.number.encode() in pdf
    assert b"SHIRT-PDF" in pdf


def test_a_failed_send_is_released_for_a_retry(
    methods: None,
    stocked: Callable[..., Variant],
    supplier: Supplier,
    po_for: Callable[..., Any],
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = "tests.purchasing.test_supplier_email_and_alerts.BrokenBackend"
    po = po_for((stocked("SHIRT-F", 0), 1))
    message = SupplierMessage.objects.get(purchase_order=po)
    with pytest.raises(ConnectionError):
        services.supplier_message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.sent_at is None and message.claimed_at is None and "ConnectionError" in message.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.supplier_message_send(message_id=message.pk) is True


class BrokenBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionError("smtp down")


def test_a_supplier_without_email_gets_no_message(
    methods: None, stocked: Callable[..., Variant], supplier: Supplier, po_for: Callable[..., Any]
) -> None:
    services.supplier_update(supplier=supplier, email="", actor=None)
    po = po_for((stocked("SHIRT-N", 0), 1))
    assert po.status == "sent"
    assert not SupplierMessage.objects.exists()


def test_low_stock_alerts_the_responsible_once_per_episode(
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    supplier: Supplier,
    priced: Callable[..., None],
    make_staff: Callable[..., Any],
) -> None:
    buyer = make_staff("Manager", username="buyer")
    other_manager = make_staff("Manager", username="boss")
    services.supplier_update(supplier=supplier, buyer_username="buyer", actor=None)
    tee = stocked("TEE-LOW", 3)
    priced(tee)
    rule = services.reorder_rule_set(
        variant=tee, warehouse=warehouse, method="min_max", min_quantity=5, max_quantity=20, actor=None
    )
    report = services.low_stock_check()
    assert report.alerted == ["TEE-LOW@kyiv"] and report.notified == 1
    note = StaffNotification.objects.get()
    assert note.recipient == buyer, "the supplier's buyer, not every manager"
    assert "TEE-LOW" in note.text and "kyiv" in note.text
    assert services.low_stock_check().notified == 0, "one alert per episode"

    # Back above the minimum: the episode ends; low again later: a new alert.
    stock_adjust(variant=tee, warehouse=warehouse, delta=10, actor=None)
    assert services.low_stock_check().cleared == ["TEE-LOW@kyiv"]
    stock_adjust(variant=tee, warehouse=warehouse, delta=-12, actor=None)
    assert services.low_stock_check(now=timezone.now()).notified == 1
    assert StaffNotification.objects.filter(recipient=buyer).count() == 2
    assert not StaffNotification.objects.filter(recipient=other_manager).exists()

    # A responsible person on the rule comes first; without anyone, every purchasing manager hears.
    ReorderRule.objects.filter(pk=rule.pk).update(alerted_at=None, responsible=other_manager)
    services.low_stock_check()
    assert StaffNotification.objects.filter(recipient=other_manager).count() == 1
