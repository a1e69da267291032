"""Statuses that tell the truth (issue 16), through the services against the real database:

- a refund is `refund_pending` until the money moved (staff confirm the bank transfer, Stripe confirms
  the card refund); only then `refunded`, the "refunded" email and the order's move;
- a partial return leaves the order `partially_returned`; `returned` only when every unit is back; a
  fully returned order takes no new return;
- an exchange follows the return policy (free delivery for the replacement, paid by the credit);
- the customer's IBAN comes with the request (validated), staff can correct it;
- a PNG whose header claims 30000×30000 pixels is refused as `photo_invalid`, never decoded.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from orderloop.notifications.models import CustomerMessage
from orderloop.orders.models import Order, OrderStatus
from orderloop.payments.models import OrderPaymentState, Refund
from orderloop.returns import selectors, services
from orderloop.returns.errors import (
    BankDetailsInvalid,
    BankDetailsRequired,
    OrderFullyReturned,
    PhotoInvalid,
)
from orderloop.returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from orderloop.returns.photos import PhotoUpload, check_photos
from tests.conftest import run_tasks
from tests.payments.fake_stripe import event, sign

from .test_services import _inspect_all, _open, _policy, _received

pytestmark = pytest.mark.django_db(transaction=True)

IBAN = "UA21 3223 1300 0002 6007 2335 6600 1"
IBAN_COMPACT = "UA213223130000026007233566001"


def _status(order: Order) -> str:
    return Order.objects.get(pk=order.pk).status


def _refund_emails(rma: ReturnRequest) -> int:
    return CustomerMessage.objects.filter(event_key=f"return:{rma.pk}:refund_sent").count()


# --- A refund is not "refunded" until the money has moved ---------------------------------------------


def test_a_cod_refund_by_bank_transfer_is_pending_until_staff_confirm_the_transfer(
    delivered: Any, smtp_server: Any
) -> None:
    order = delivered(("TEE-S", 2))  # cash on delivery, collected at the door
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    rma = services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="Olena Shevchenko")

    (refund,) = selectors.refund_rows(rma)
    assert refund.status == "pending"  # the payment still awaits confirmation…
    assert rma.status == ReturnStatus.REFUND_PENDING  # …so the return is not "refunded"
    assert rma.refunded_at is None and _refund_emails(rma) == 0
    assert _status(order) == OrderStatus.RETURN_REQUESTED  # the order keeps its status
    run_tasks()
    sent_before = len(smtp_server.messages)  # the approval and receipt emails, nothing about money

    rma = services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-42")
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("succeeded", "OUT-42")
    assert rma.status == ReturnStatus.REFUNDED and rma.refunded_at is not None
    moves = list(
        ReturnEvent.objects.filter(request=rma, kind="status_change").values_list("from_status", "to_status")
    )
    assert moves[-2:] == [("inspected", "refund_pending"), ("refund_pending", "refunded")]
    assert _status(order) == OrderStatus.PARTIALLY_RETURNED  # 1 of 2 units came back
    run_tasks()
    message = CustomerMessage.objects.get(event_key=f"return:{rma.pk}:refund_sent")
    (email,) = smtp_server.messages[sent_before:]  # the "refunded" email, in Ukrainian, only now
    assert email["Subject"].strip() == message.subject and rma.number in message.subject
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "100,00" in text  # the amount, written the Ukrainian way


def _post_charge_refunded(fake_stripe: Any, payment_reference: str) -> Any:
    body = json.dumps(event("charge.refunded", fake_stripe.charge(payment_reference)))
    return Client().post(
        "/api/v1/payments/stripe/webhook",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, "whsec_test")},
    )


def test_a_card_refund_is_pending_until_stripe_confirms_it(card_delivered: Any, fake_stripe: Any) -> None:
    order = card_delivered(("TEE-S", 1))
    fake_stripe.refund_status = "pending"  # Stripe accepted the refund, the bank has not paid it yet
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    rma = services.return_refund(rma_id=rma.pk, actor=None)
    (refund,) = selectors.refund_rows(rma)
    assert refund.status == "processing" and refund.provider_reference
    assert rma.status == ReturnStatus.REFUND_PENDING and _refund_emails(rma) == 0
    assert _status(order) == OrderStatus.RETURN_REQUESTED

    fake_stripe.refunds[refund.provider_reference]["status"] = "succeeded"
    answer = _post_charge_refunded(fake_stripe, order.payments.get().provider_reference)
    assert answer.status_code == 200 and answer.json()["outcome"] == "processed"
    run_tasks()  # returns consume `refund.succeeded`, notifications `return.refunded`
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED and _refund_emails(rma) == 1
    assert _status(order) == OrderStatus.RETURNED  # the only unit is back


def test_a_refund_on_its_way_still_counts_for_the_refund_sla(delivered: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    rma = _inspect_all(_received(_open(delivered())))
    services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="O")
    later = timezone.now() + timedelta(days=15)
    assert services.returns_check_refund_sla(now=later).overdue == [rma.number]


# --- A partial return does not make the whole order "Returned" ----------------------------------------


def test_one_of_two_units_returned_leaves_the_order_partially_returned(delivered: Any) -> None:
    order = delivered(("TEE-S", 2), method="bank_transfer")
    first = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    services.return_refund(rma_id=first.pk, actor=None, bank_iban=IBAN, bank_holder="Olena")
    services.return_bank_refund_confirm(rma_id=first.pk, actor=None, reference="OUT-1")
    assert _status(order) == OrderStatus.PARTIALLY_RETURNED
    assert selectors.units_back(Order.objects.get(pk=order.pk)) == {order.lines.get().pk: 1}

    # The second unit: the order is in a return again, then returned as a whole.
    second = _open(order, ("TEE-S", 1, "changed_mind"))
    assert _status(order) == OrderStatus.RETURN_REQUESTED
    second = _inspect_all(_received(second))
    services.return_refund(rma_id=second.pk, actor=None, bank_iban=IBAN, bank_holder="Olena")
    services.return_bank_refund_confirm(rma_id=second.pk, actor=None, reference="OUT-2")
    assert _status(order) == OrderStatus.RETURNED
    moves = [
        (e.from_status, e.to_status)
        for e in Order.objects.get(pk=order.pk).events.filter(kind="status_change").order_by("id")
    ][-4:]
    assert moves == [
        ("delivered", "return_requested"),
        ("return_requested", "partially_returned"),
        ("partially_returned", "return_requested"),
        ("return_requested", "returned"),
    ]

    # Everything came back: no further return.
    with pytest.raises(OrderFullyReturned) as refused:
        _open(order, ("TEE-S", 1, "other"))
    assert refused.value.code == "order_fully_returned" and refused.value.http_status == 409


def test_one_of_three_lines_returned_leaves_the_order_partially_returned(delivered: Any) -> None:
    order = delivered(("TEE-S", 1), ("TEE-M", 1), ("EAR-1", 1), method="bank_transfer")
    rma = _inspect_all(_received(_open(order, ("TEE-M", 1, "wrong_size"))))
    services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="Olena")
    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-3")
    assert _status(order) == OrderStatus.PARTIALLY_RETURNED
    items = selectors.returned_items(Order.objects.get(pk=order.pk), language="en")
    assert [(i.sku, i.quantity, i.ordered) for i in items] == [("TEE-M", 1, 1)]


def test_units_missing_from_the_parcel_did_not_come_back(delivered: Any) -> None:
    order = delivered(("TEE-S", 2), method="bank_transfer")
    rma = _received(_open(order, ("TEE-S", 2, "wrong_size")))
    line = rma.lines.get()
    services.return_inspect(
        rma_id=rma.pk,
        items=[
            services.InspectionInput(line_id=line.pk, quantity=1, grade="as_new"),
            services.InspectionInput(line_id=line.pk, quantity=1, grade="missing"),
        ],
        actor=None,
    )
    services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="Olena")
    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-4")
    assert _status(order) == OrderStatus.PARTIALLY_RETURNED


# --- An exchange follows the return policy --------------------------------------------------------------


def test_an_exchange_under_free_returns_ships_free_and_the_credit_pays_the_replacement(
    delivered: Any,
) -> None:
    _policy(return_shipping_paid_by="shop", refund_delivery="never")
    order = delivered(("TEE-S", 2))  # cash on delivery: 200 + 120 delivery
    rma = _inspect_all(_received(_open(order, ("TEE-S", 1, "wrong_size"))))
    rma = services.return_exchange(
        rma_id=rma.pk, items=[services.ExchangeItem(sku="TEE-M", quantity=1)], actor=None
    )
    replacement = Order.objects.get(pk=rma.exchange_order_id)
    assert replacement.delivery_amount == 0 and replacement.total_amount == Decimal("100.00")
    assert OrderPaymentState.objects.get(order=replacement).state == "paid"
    assert replacement.status == OrderStatus.PAID
    assert rma.status == ReturnStatus.EXCHANGED and rma.refund_amount == 0 and not rma.refund_ids
    assert _status(order) == OrderStatus.PARTIALLY_RETURNED  # 1 of 2 units exchanged


# --- COD refunds ask for the account at the right time ---------------------------------------------------


def test_the_customer_gives_the_iban_with_the_request_and_the_refund_uses_it(delivered: Any) -> None:
    order = delivered(("TEE-S", 1))
    with pytest.raises(BankDetailsInvalid) as invalid:
        _open(order, bank_iban="UA21 3223 1300 0002 6007 2335 6600 2", bank_holder="Olena")
    assert invalid.value.code == "bank_details_invalid" and "bank_iban" in invalid.value.details
    with pytest.raises(BankDetailsRequired) as missing:
        _open(order, require_bank_details=True)
    assert set(missing.value.details) == {"bank_iban", "bank_holder"}
    assert not ReturnRequest.objects.exists()  # nothing half-written

    rma = _open(order, bank_iban=IBAN.lower(), bank_holder="Olena Shevchenko", require_bank_details=True)
    assert (rma.bank_iban, rma.bank_holder) == (IBAN_COMPACT, "Olena Shevchenko")
    rma = _inspect_all(_received(rma))
    rma = services.return_refund(rma_id=rma.pk, actor=None)  # staff need not ask again
    assert rma.status == ReturnStatus.REFUND_PENDING and rma.bank_iban == IBAN_COMPACT
    assert Refund.objects.get(order=order).status == "pending"


def test_staff_correct_the_iban_until_the_refund_is_paid(delivered: Any, make_staff: Any) -> None:
    manager = make_staff("Manager")
    order = delivered(("TEE-S", 1))
    rma = _open(order, bank_iban=IBAN, bank_holder="Olena")
    with pytest.raises(BankDetailsInvalid):
        services.return_set_bank_details(rma_id=rma.pk, actor=manager, bank_iban="SE00 1", bank_holder="O")
    rma = services.return_set_bank_details(
        rma_id=rma.pk, actor=manager, bank_iban="SE45 5000 0000 0583 9825 7466", bank_holder="Olena S."
    )
    assert (rma.bank_iban, rma.bank_holder) == ("SE4550000000058398257466", "Olena S.")
    note = ReturnEvent.objects.get(request=rma, kind="bank_details")
    assert note.actor == manager and note.data == {"iban": "SE…7466", "before": "UA…6001"}
    assert "SE4550000000058398257466" not in json.dumps(note.data)  # the full account is not logged


def test_a_card_order_is_not_asked_for_an_iban(card_delivered: Any) -> None:
    order = card_delivered(("TEE-S", 1))
    rma = _open(order, require_bank_details=True)
    assert rma.bank_iban == "" and not selectors.refund_by_transfer(order)


# --- Issue 17: a decompression bomb is a bad photo, not a crash -----------------------------------------


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A small, well-formed PNG whose header claims width × height pixels (Pillow never decodes it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_a_png_claiming_30000_by_30000_pixels_is_refused_as_photo_invalid(delivered: Any) -> None:
    with Image.open(io.BytesIO(bomb_png(64, 64))) as probe:  # the crafted header is a real PNG header
        assert (probe.format, probe.size) == ("PNG", (64, 64))
    for size in ((30_000, 30_000), (10_000, 10_000)):  # above twice Pillow's limit, and above it
        with pytest.raises(PhotoInvalid) as refused:
            check_photos([PhotoUpload(name="huge.png", content=bomb_png(*size))])
        assert refused.value.code == "photo_invalid" and "huge.png" in refused.value.details["photos"]
    order = delivered(("TEE-S", 1))
    with pytest.raises(PhotoInvalid):
        _open(order, photos=[PhotoUpload(name="huge.png", content=bomb_png())])
    assert not ReturnRequest.objects.exists()


# --- A completed order that gets a return -------------------------------------------------------------


@pytest.mark.parametrize(("units_back", "after"), [(2, "returned"), (1, "partially_returned")])
def test_a_completed_order_whose_units_come_back_reads_returned_or_partially_returned(
    delivered: Any, units_back: int, after: str
) -> None:
    from orderloop.orders.models import OrderEvent
    from orderloop.orders.services import order_transition

    order = delivered(("TEE-S", 2))
    order_transition(order_id=order.pk, to=OrderStatus.COMPLETED, actor=None)
    rma = _inspect_all(_received(_open(order, ("TEE-S", units_back, "wrong_size"))))
    assert _status(order) == OrderStatus.RETURN_REQUESTED  # reopened by the return
    rma = services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="Olena Shevchenko")
    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-7")
    assert _status(order) == after
    # Each move is its own event in the order's timeline.
    moves = list(
        OrderEvent.objects.filter(order=order, kind="status_change")
        .order_by("id")
        .values_list("from_status", "to_status")
    )
    assert moves[-3:] == [
        ("delivered", "completed"),
        ("completed", "return_requested"),
        ("return_requested", after),
    ]
