"""Every status change of a purchase order appends one domain event (purchase_order.*) in the same
transaction, with a payload a consumer can act on without reading our tables; a refused move appends
nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orderloop.catalog.models import Variant
from orderloop.core.events import envelope, events_of
from orderloop.core.models import DomainEvent
from orderloop.purchasing import services
from orderloop.purchasing.errors import InvalidPurchaseOrderTransition
from orderloop.purchasing.services import ReceiptInput

pytestmark = pytest.mark.django_db


def types_of(po: Any) -> list[str]:
    return [event.type for event in events_of("purchase_order", po.pk)]


def last_event(po: Any) -> dict[str, Any]:
    return envelope(events_of("purchase_order", po.pk)[-1])


@pytest.fixture
def buyer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("olena", password="x", is_staff=True)


def test_a_new_draft_records_created_with_its_lines_and_total(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any], buyer: Any
) -> None:
    shirt = stocked("SHIRT-M", 0)
    po = po_for((shirt, 10), send=False, actor=buyer)

    event = events_of("purchase_order", po.pk)[0]
    assert (event.type, event.sequence, event.actor_kind, event.actor_name) == (
        "purchase_order.created",
        1,
        "staff",
        "olena",
    )
    assert event.data["number"] == po.number and event.data["status"] == "draft"
    assert (event.data["supplier"], event.data["warehouse"]) == ("linenco", "kyiv")
    assert event.data["lines"] == [
        {"sku": "SHIRT-M", "quantity": 10, "unit_price": {"amount": "4.50", "currency": "EUR"}}
    ]
    assert event.data["total"] == {"amount": "45.00", "currency": "EUR"}


def test_sending_records_sent_with_the_expected_date(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any], buyer: Any
) -> None:
    po = po_for((stocked("SHIRT-M", 0), 10), send=False)
    po = services.purchase_order_send(po_id=po.pk, actor=buyer)

    assert types_of(po) == ["purchase_order.created", "purchase_order.sent"]
    event = last_event(po)
    assert event["sequence"] == 2
    assert event["data"]["from"] == "draft" and event["data"]["to"] == "sent"
    assert event["data"]["expected_date"] == po.expected_date.isoformat()
    assert event["data"]["number"] == po.number


def test_receipts_record_partially_received_then_received_with_the_receipt(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("SHIRT-M", 0), 10))
    first = services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=4)], actor=None)
    assert types_of(po)[-1] == "purchase_order.partially_received"
    assert last_event(po)["data"]["receipt"] == first.pk

    # Another partial delivery changes no status: no event.
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=2)], actor=None)
    assert len(types_of(po)) == 3

    last = services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=4)], actor=None)
    assert types_of(po) == [
        "purchase_order.created",
        "purchase_order.sent",
        "purchase_order.partially_received",
        "purchase_order.received",
    ]
    data = last_event(po)["data"]
    assert (data["from"], data["to"], data["receipt"], data["short"]) == (
        "partially_received",
        "received",
        last.pk,
        [],
    )


def test_closing_short_records_received_with_what_did_not_come(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("SHIRT-M", 0), 10))
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=7)], actor=None)
    services.purchase_order_close(po_id=po.pk, actor=None)

    data = last_event(po)["data"]
    assert types_of(po)[-1] == "purchase_order.received"
    assert data["reason"] == "closed_short"
    assert data["short"] == [{"sku": "SHIRT-M", "ordered": 10, "received": 7, "short": 3}]


def test_cancelling_records_cancelled_with_the_reason_and_the_shortfall(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("SHIRT-M", 0), 10))
    services.purchase_order_cancel(po_id=po.pk, actor=None, reason="supplier out of stock")

    event = last_event(po)
    assert event["type"] == "purchase_order.cancelled"
    assert (event["data"]["from"], event["data"]["reason"]) == ("sent", "supplier out of stock")
    assert event["data"]["short"] == [{"sku": "SHIRT-M", "ordered": 10, "received": 0, "short": 10}]
    assert events_of("purchase_order", po.pk)[-1].actor_kind == "system"


def test_a_refused_move_records_nothing(
    methods: None, stocked: Callable[..., Variant], po_for: Callable[..., Any]
) -> None:
    po = po_for((stocked("SHIRT-M", 0), 10))
    services.purchase_order_cancel(po_id=po.pk, actor=None, reason="no longer needed")
    before = DomainEvent.objects.count()

    with pytest.raises(InvalidPurchaseOrderTransition):
        services.purchase_order_send(po_id=po.pk, actor=None)
    with pytest.raises(InvalidPurchaseOrderTransition):
        services.purchase_order_close(po_id=po.pk, actor=None)

    assert DomainEvent.objects.count() == before
    po.refresh_from_db()
    assert po.status == "cancelled"
