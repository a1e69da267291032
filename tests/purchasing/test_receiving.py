"""Receiving against purchase orders: incoming stock, partial and over/under deliveries, and received
stock going to competing backorders (express first, then the oldest order), whose orders move on.
The stock ledger and `incoming` are checked after every step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orderloop.catalog.models import Variant
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import MovementReason, StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust
from orderloop.orders import services as order_services
from orderloop.orders.models import EventKind, LineAllocation, Order, OrderStatus, Priority
from orderloop.orders.selectors import order_card_data
from orderloop.purchasing import selectors, services
from orderloop.purchasing.errors import (
    InvalidPurchaseOrderTransition,
    NotOnPurchaseOrder,
    PurchaseOrderNotReceivable,
)
from orderloop.purchasing.models import PurchaseOrderEvent, PurchaseOrderStatus, ReceiptLine
from orderloop.purchasing.services import ReceiptInput
from tests.orders.helpers import customer, place

pytestmark = pytest.mark.django_db

PO = PurchaseOrderStatus


def consistent() -> None:
    assert ledger_mismatches() == []
    assert selectors.incoming_mismatches() == []


def stock(variant: Variant, warehouse: Warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def backordered(order: Order) -> int:
    return sum(order.lines.values_list("quantity_backordered", flat=True))


def test_sending_announces_incoming_and_receiving_in_parts_clears_it(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-M", 2)
    socks = stocked("SOCKS-OS", 0)
    po = po_for((shirt, 10), (socks, 6), send=False)
    assert po.status == PO.DRAFT
    assert stock(shirt, warehouse).incoming == 0, "a draft is not incoming yet"

    po = services.purchase_order_send(po_id=po.pk, actor=None)
    assert po.status == PO.SENT and po.sent_at is not None
    assert po.expected_date == timezone.localdate() + timedelta(days=10), "today + the supplier's lead time"
    assert stock(shirt, warehouse).incoming == 10 and stock(socks, warehouse).incoming == 6
    consistent()

    # First delivery: 4 shirts, no socks.
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=4)], actor=None)
    po.refresh_from_db()
    assert po.status == PO.PARTIALLY_RECEIVED
    row = stock(shirt, warehouse)
    assert (row.on_hand, row.incoming) == (6, 6)
    consistent()

    # Second delivery: the rest of the shirts and all socks.
    services.receipt_create(
        po_id=po.pk,
        lines=[ReceiptInput(code="SHIRT-M", quantity=6), ReceiptInput(code="SOCKS-OS", quantity=6)],
        actor=None,
    )
    po.refresh_from_db()
    assert po.status == PO.RECEIVED
    assert (stock(shirt, warehouse).on_hand, stock(shirt, warehouse).incoming) == (12, 0)
    assert (stock(socks, warehouse).on_hand, stock(socks, warehouse).incoming) == (6, 0)
    receipts = StockMovement.objects.filter(reason=MovementReason.RECEIPT, reference=f"PO {po.number}")
    assert sorted(receipts.values_list("on_hand_delta", flat=True)) == [4, 6, 6]
    statuses = list(po.events.filter(to_status__gt="").values_list("from_status", "to_status"))
    assert statuses == [
        ("", "draft"),
        ("draft", "sent"),
        ("sent", "partially_received"),
        ("partially_received", "received"),
    ]
    consistent()

    with pytest.raises(PurchaseOrderNotReceivable):
        services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-M", quantity=1)], actor=None)


def test_over_and_under_deliveries_are_recorded(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-L", 0)
    socks = stocked("SOCKS-L", 0)
    po = po_for((shirt, 5), (socks, 10))

    # 7 shirts for 5 ordered: 2 over; incoming drops only by the 5 announced.
    receipt = services.receipt_create(
        po_id=po.pk,
        lines=[ReceiptInput(code="SHIRT-L", quantity=7), ReceiptInput(code="SOCKS-L", quantity=4)],
        actor=None,
        note="delivery note 4711",
    )
    over = {line.line.sku: line.over_quantity for line in ReceiptLine.objects.filter(receipt=receipt)}
    assert over == {"SHIRT-L": 2, "SOCKS-L": 0}
    assert (stock(shirt, warehouse).on_hand, stock(shirt, warehouse).incoming) == (7, 0)
    assert stock(socks, warehouse).incoming == 6
    consistent()

    # The supplier cannot send the other 6 socks: close short, the shortfall is recorded.
    po = services.purchase_order_close(po_id=po.pk, actor=None, reason="supplier out of stock")
    assert po.status == PO.RECEIVED
    closing = PurchaseOrderEvent.objects.filter(purchase_order=po, to_status=PO.RECEIVED).get()
    assert closing.data["short"] == [{"sku": "SOCKS-L", "ordered": 10, "received": 4, "short": 6}]
    assert stock(socks, warehouse).incoming == 0
    consistent()


def test_cancelling_withdraws_incoming_but_keeps_what_arrived(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-XL", 0)
    po = po_for((shirt, 8))
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="SHIRT-XL", quantity=3)], actor=None)
    with pytest.raises(InvalidInput) as refused:
        services.purchase_order_cancel(po_id=po.pk, actor=None, reason=" ")
    assert "reason" in refused.value.details
    po = services.purchase_order_cancel(po_id=po.pk, actor=None, reason="late")
    assert po.status == PO.CANCELLED
    row = stock(shirt, warehouse)
    assert (row.on_hand, row.incoming) == (3, 0)
    consistent()
    with pytest.raises(InvalidPurchaseOrderTransition):
        services.purchase_order_send(po_id=po.pk, actor=None)


def test_receiving_by_barcode_supplier_sku_or_line_and_refusing_strangers(
    methods: None,
    stocked: Callable[..., Variant],
    warehouse: Warehouse,
    priced: Callable[..., None],
    po_for: Callable[..., Any],
) -> None:
    shirt = stocked("SHIRT-S", 0, barcode="4006381333931")
    priced(shirt, supplier_sku="LC-100-S")
    other = stocked("OTHER-1", 0, barcode="4006381333948")
    po = po_for((shirt, 5))
    line = po.lines.get()
    services.receipt_create(
        po_id=po.pk,
        lines=[
            ReceiptInput(code="4006381333931", quantity=1),  # scanned barcode
            ReceiptInput(code="LC-100-S", quantity=1),  # the supplier's code on the box
            ReceiptInput(line_id=line.pk, quantity=1),  # typed into the line's field
            ReceiptInput(code="shirt-s", quantity=1),  # typed SKU, any case
        ],
        actor=None,
    )
    assert stock(shirt, warehouse).on_hand == 4
    with pytest.raises(NotOnPurchaseOrder) as refused:
        services.receipt_create(
            po_id=po.pk, lines=[ReceiptInput(code=other.barcode or "", quantity=1)], actor=None
        )
    assert "lines.0.code" in refused.value.details
    assert stock(shirt, warehouse).on_hand == 4, "a refused receipt writes nothing"
    consistent()


def test_the_same_submission_key_receives_once(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-2", 0)
    po = po_for((shirt, 5))
    first = services.receipt_create(
        po_id=po.pk, lines=[ReceiptInput(code="SHIRT-2", quantity=2)], actor=None, client_key="form-abc"
    )
    again = services.receipt_create(
        po_id=po.pk, lines=[ReceiptInput(code="SHIRT-2", quantity=2)], actor=None, client_key="form-abc"
    )
    assert again.pk == first.pk
    assert stock(shirt, warehouse).on_hand == 2
    consistent()


def test_a_receipt_serves_competing_backorders_express_first_then_the_oldest(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    linen = stocked("LINEN-M", 0, backorder=True)
    # Placed in this order (ids ascending): a normal order, a newer normal one made *older* by its
    # placing time (an import of yesterday's orders), and an express order placed last.
    normal = place(("LINEN-M", 3))
    older = place(("LINEN-M", 2), customer=customer(phone="+380671112233"))
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    express = place(("LINEN-M", 2), priority=Priority.EXPRESS, delivery_method_code="express")
    for order in (normal, older, express):
        assert order.status == OrderStatus.AWAITING_STOCK and backordered(order) == order.lines.get().quantity

    needs = selectors.purchase_needs()
    assert [(n.line.order.number, n.quantity, n.covered) for n in needs] == [
        (express.number, 2, False),
        (older.number, 2, False),
        (normal.number, 3, False),
    ], "each backordered line is a purchase need, in serving order"
    po = po_for((linen, 7))
    assert all(n.covered and n.arrival.po_number == po.number for n in selectors.purchase_needs())
    # The card shows when each waiting order should be served, from the purchase order.
    card = order_card_data(number=normal.number)
    assert card.lines[0].arrival is not None
    assert card.lines[0].arrival.po_number == po.number
    assert card.lines[0].arrival.expected_date == po.expected_date

    # 5 units arrive: express takes 2, then the older normal order 2, then the newer normal order 1.
    receipt = services.receipt_create(
        po_id=po.pk, lines=[ReceiptInput(code="LINEN-M", quantity=5)], actor=None
    )
    assert receipt.allocations == [
        {"order": express.number, "line": express.lines.get().pk, "sku": "LINEN-M", "quantity": 2},
        {"order": older.number, "line": older.lines.get().pk, "sku": "LINEN-M", "quantity": 2},
        {"order": normal.number, "line": normal.lines.get().pk, "sku": "LINEN-M", "quantity": 1},
    ]
    for order in (normal, older, express):
        order.refresh_from_db()
    assert (express.status, backordered(express)) == (OrderStatus.CONFIRMED, 0)
    assert (older.status, backordered(older)) == (OrderStatus.CONFIRMED, 0)
    assert (normal.status, backordered(normal)) == (OrderStatus.AWAITING_STOCK, 2)
    assert LineAllocation.objects.get(line__order=normal).quantity == 1
    row = stock(linen, warehouse)
    assert (row.on_hand, row.reserved, row.incoming) == (5, 5, 2)
    consistent()

    # The events say what happened, and why.
    moved = express.events.filter(kind=EventKind.STATUS_CHANGE).get()
    assert (moved.from_status, moved.to_status, moved.reason, moved.note) == (
        OrderStatus.AWAITING_STOCK,
        OrderStatus.CONFIRMED,
        "stock_received",
        po.number,
    )
    allocated = normal.events.get(kind=EventKind.EDIT, reason="backorder_allocated")
    assert allocated.data["allocated"][0]["quantity"] == 1 and allocated.data["still_backordered"] is True

    # The rest arrives: the last order is served and moves on too.
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="LINEN-M", quantity=2)], actor=None)
    normal.refresh_from_db()
    assert (normal.status, backordered(normal)) == (OrderStatus.CONFIRMED, 0)
    assert LineAllocation.objects.get(line__order=normal).quantity == 3
    assert order_card_data(number=normal.number).lines[0].arrival is None
    consistent()


def test_prepaid_and_paid_orders_resume_where_they_were_headed(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    from orderloop.payments.services import payment_record_transfer

    stocked("LINEN-P", 0, backorder=True)
    linen = Variant.objects.get(sku="LINEN-P")
    transfer = place(("LINEN-P", 1), payment_method_code="bank_transfer")
    paid = place(("LINEN-P", 1), payment_method_code="bank_transfer")
    payment_record_transfer(order_id=paid.pk, amount=str(paid.total_amount), actor=None)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID, "paid while waiting (the table allows it)"
    assert backordered(paid) == 1

    po = po_for((linen, 2))
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="LINEN-P", quantity=2)], actor=None)
    transfer.refresh_from_db()
    paid.refresh_from_db()
    # Unpaid prepaid: confirmed, then waiting for the money (as order_confirm does).
    assert transfer.status == OrderStatus.AWAITING_PAYMENT
    path = list(transfer.events.filter(kind=EventKind.STATUS_CHANGE).values_list("to_status", flat=True))
    assert path == [OrderStatus.CONFIRMED, OrderStatus.AWAITING_PAYMENT]
    # Paid while waiting: the stock is reserved, the status stays paid (ready for the warehouse).
    assert (paid.status, backordered(paid)) == (OrderStatus.PAID, 0)
    consistent()


def test_cancelled_orders_are_not_served_and_stock_from_elsewhere_waits(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse, po_for: Callable[..., Any]
) -> None:
    linen = stocked("LINEN-C", 0, backorder=True)
    gone = place(("LINEN-C", 2))
    order_services.order_cancel(order_id=gone.pk, actor=None, reason="customer changed their mind")
    waiting = place(("LINEN-C", 1))
    # Stock that arrives by an adjustment is not a receipt: nothing is allocated automatically.
    stock_adjust(variant=linen, warehouse=warehouse, delta=1, actor=None)
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.AWAITING_STOCK
    po = po_for((linen, 2))
    services.receipt_create(po_id=po.pk, lines=[ReceiptInput(code="LINEN-C", quantity=2)], actor=None)
    waiting.refresh_from_db()
    gone.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED
    assert (
        gone.status == OrderStatus.CANCELLED and not LineAllocation.objects.filter(line__order=gone).exists()
    )
    row = stock(linen, warehouse)
    assert (row.on_hand, row.reserved) == (3, 1)
    consistent()


def test_units_freed_by_a_cancellation_serve_the_waiting_orders_on_request(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse
) -> None:
    from orderloop.orders.backorders import backorders_serve_available

    stocked("LINEN-F", 2, backorder=True)
    first = place(("LINEN-F", 2))
    waiting = place(("LINEN-F", 2), priority=Priority.EXPRESS, delivery_method_code="express")
    assert waiting.status == OrderStatus.AWAITING_STOCK
    order_services.order_cancel(order_id=first.pk, actor=None, reason="changed mind")
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.AWAITING_STOCK, "a cancellation does not serve backorders itself"
    result = backorders_serve_available(actor=None)
    assert [(s.order_number, s.quantity) for s in result.served] == [(waiting.number, 2)]
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED and backordered(waiting) == 0
    assert backorders_serve_available(actor=None).served == []
    consistent()


def test_an_order_served_after_waiting_for_stock_gets_its_promised_date(
    methods: None, stocked: Callable[..., Variant], warehouse: Warehouse
) -> None:
    """One promised date: none while units wait for stock, worked out (from now) once they are reserved,
    so the card, label, route and the customer's page all have a day to show."""
    from datetime import UTC, date, datetime

    import time_machine

    from orderloop.orders.backorders import backorders_serve_available

    stocked("LINEN-P", 0, backorder=True)
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        waiting = place(("LINEN-P", 1))  # courier to the door: two days on the way
        assert waiting.status == OrderStatus.AWAITING_STOCK and waiting.promised_date is None
    with time_machine.travel(datetime(2026, 12, 9, 9, 0, tzinfo=UTC), tick=False):  # a Wednesday
        stock_adjust(variant=Variant.objects.get(sku="LINEN-P"), warehouse=warehouse, delta=1, actor=None)
        backorders_serve_available(actor=None)
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.CONFIRMED
    assert waiting.promised_date == date(2026, 12, 11)  # handed over Wednesday, at the door Friday
    event = waiting.events.filter(kind=EventKind.EDIT).latest("id")
    assert event.data["promised_date"] == {"from": None, "to": "2026-12-11"}
