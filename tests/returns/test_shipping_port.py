"""The shipping port: a carrier implementation plugged in by setting gives the label and the tracking
number, and its tracking events move the return to in transit and received."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orderloop.returns import services, tasks
from orderloop.returns.models import ReturnRequest
from orderloop.returns.shipping_port import ReturnLabel, ReturnParcel, TrackingUpdate

pytestmark = pytest.mark.django_db(transaction=True)

BOOKED: list[ReturnParcel] = []
EVENTS: dict[str, list[TrackingUpdate]] = {}


class FakeCarrierPort:
    def create_return_label(self, parcel: ReturnParcel) -> ReturnLabel:
        BOOKED.append(parcel)
        return ReturnLabel(
            tracking_ref=f"NP-{parcel.rma_number}", carrier="nova", pdf=b"%PDF-1.4 carrier label"
        )

    def track(self, tracking_ref: str) -> list[TrackingUpdate]:
        return EVENTS.get(tracking_ref, [])


def test_a_carrier_port_books_the_label_and_its_tracking_moves_the_return(
    delivered: Any, settings: Any
) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "RETURN_SHIPPING_PORT": f"{__name__}.FakeCarrierPort"}
    order = delivered(("TEE-S", 1))
    rma = services.return_open(
        order_id=order.pk,
        lines=[services.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")],
        method="courier_pickup",
        channel="portal",
        actor=None,
    )
    rma = services.return_label_create(rma_id=rma.pk)
    assert (rma.carrier, rma.tracking_ref) == ("nova", f"NP-{rma.number}")
    assert rma.label_file.read() == b"%PDF-1.4 carrier label"
    (parcel,) = BOOKED
    assert parcel.method == "courier_pickup" and parcel.sender[0] == "Olena Shevchenko"
    assert services.return_label_create(rma_id=rma.pk).tracking_ref == rma.tracking_ref  # once

    now = datetime.now(UTC)
    EVENTS[rma.tracking_ref] = [TrackingUpdate(status="in_transit", at=now)]
    tasks.refresh_return_tracking.call()
    assert ReturnRequest.objects.get(pk=rma.pk).status == "in_transit"
    EVENTS[rma.tracking_ref].append(TrackingUpdate(status="delivered", at=now))
    tasks.refresh_return_tracking.call()
    received = ReturnRequest.objects.get(pk=rma.pk)
    assert received.status == "received" and received.refund_due_at is not None
