"""Every status a return reaches is a domain event (return.*) written with the change, beside the return's
readable timeline; a refund confirmed in the payments area reaches the return through `refund.succeeded`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orderloop.core import events
from orderloop.core.models import DomainEvent
from orderloop.notifications.models import CustomerMessage
from orderloop.payments import services as payments
from orderloop.returns import selectors, services
from orderloop.returns.errors import InvalidReturnTransition
from orderloop.returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from tests.conftest import run_tasks

from .test_services import _inspect_all, _open, _policy, _received

pytestmark = pytest.mark.django_db(transaction=True)

IBAN = "UA21 3223 1300 0002 6007 2335 6600 1"


def _refund_pending(delivered: Any) -> ReturnRequest:
    rma = _inspect_all(_received(_open(delivered(("TEE-S", 2)))))
    return services.return_refund(rma_id=rma.pk, actor=None, bank_iban=IBAN, bank_holder="Olena")


# Each scenario brings a return to one status; returns (the return, expected `from`, the actor or None).


def _requested(delivered, staff):
    _policy(auto_approve=False)
    return _open(delivered()), "", None


def _approved(delivered, staff):
    _policy(auto_approve=False)
    rma = _open(delivered())
    return services.return_approve(rma_id=rma.pk, actor=staff), "requested", staff


def _rejected(delivered, staff):
    _policy(auto_approve=False)
    rma = _open(delivered())
    return services.return_reject(rma_id=rma.pk, actor=staff, reason="Worn"), "requested", staff


def _in_transit(delivered, staff):
    rma = _open(delivered())
    return services.return_mark_in_transit(rma_id=rma.pk, actor=staff, tracking_ref="TR-1"), "approved", staff


def _received_(delivered, staff):
    rma = _open(delivered())
    return services.return_receive(rma_id=rma.pk, actor=staff), "approved", staff


def _inspected(delivered, staff):
    rma = services.return_receive(rma_id=_open(delivered()).pk, actor=None)
    return (
        services.return_inspect(
            rma_id=rma.pk,
            items=[
                services.InspectionInput(line_id=line.pk, quantity=line.quantity, grade="as_new")
                for line in rma.lines.all()
            ],
            actor=staff,
        ),
        "received",
        staff,
    )


def _refund_pending_(delivered, staff):
    rma = _inspect_all(_received(_open(delivered())))
    rma = services.return_refund(rma_id=rma.pk, actor=staff, bank_iban=IBAN, bank_holder="Olena")
    return rma, "inspected", staff


def _refunded(delivered, staff):
    rma = _refund_pending(delivered)
    return (
        services.return_bank_refund_confirm(rma_id=rma.pk, actor=staff, reference="OUT-1"),
        "refund_pending",
        staff,
    )


def _exchanged(delivered, staff):
    rma = _inspect_all(_received(_open(delivered(method="bank_transfer"))))
    items = [services.ExchangeItem(sku="TEE-M", quantity=1)]
    return services.return_exchange(rma_id=rma.pk, items=items, actor=staff), "inspected", staff


def _closed(delivered, staff):
    rma = _open(delivered())
    return services.return_close(rma_id=rma.pk, actor=staff, reason="Kept it"), "approved", staff


STATUS_SCENARIOS = {
    "return.requested": _requested,
    "return.approved": _approved,
    "return.rejected": _rejected,
    "return.in_transit": _in_transit,
    "return.received": _received_,
    "return.inspected": _inspected,
    "return.refund_pending": _refund_pending_,
    "return.refunded": _refunded,
    "return.exchanged": _exchanged,
    "return.closed": _closed,
}


def test_every_return_status_has_a_type_and_a_scenario() -> None:
    declared = {name for name in events.catalogue() if name.startswith("return.")}
    assert declared == {*STATUS_SCENARIOS, "return.label_issued", "return.refund_overdue"}
    assert {f"return.{status.value}" for status in ReturnStatus} == set(STATUS_SCENARIOS)


@pytest.mark.parametrize("event_type", sorted(STATUS_SCENARIOS))
def test_the_status_change_is_an_event_beside_the_timeline(event_type, delivered, make_staff) -> None:
    staff = make_staff("Manager")
    rma, from_status, actor = STATUS_SCENARIOS[event_type](delivered, staff)
    rma = ReturnRequest.objects.select_related("order").get(pk=rma.pk)
    status = event_type.split(".")[1]
    assert rma.status == status
    (last,) = DomainEvent.objects.filter(subject_type="return", subject_id=str(rma.pk), type=event_type)
    assert (last.data["from"], last.data["to"]) == (from_status, status)
    assert (last.data["number"], last.data["order_number"]) == (rma.number, rma.order.number)
    if actor is not None:
        assert (last.actor_kind, last.actor_id) == ("staff", actor.pk)
    else:  # opened by the customer on the return portal
        assert last.actor_kind == "customer"
    timeline = ReturnEvent.objects.filter(request=rma, to_status=status).get()
    assert timeline.from_status == from_status


def test_payloads_carry_what_a_consumer_needs(delivered) -> None:
    rma = _open(delivered(("TEE-S", 2)), ("TEE-S", 2, "wrong_size"))
    (requested,) = DomainEvent.objects.filter(type="return.requested", subject_id=str(rma.pk))
    assert requested.data["lines"] == [{"sku": "TEE-S", "quantity": 2, "reason": "wrong_size"}]
    assert (requested.data["channel"], requested.data["method"]) == ("portal", "post")
    rma = services.return_refund(
        rma_id=_inspect_all(_received(rma)).pk, actor=None, bank_iban=IBAN, bank_holder="Olena"
    )
    (inspected,) = DomainEvent.objects.filter(type="return.inspected", subject_id=str(rma.pk))
    assert inspected.data["items"][0] | {"sku": "TEE-S", "quantity": 2} == inspected.data["items"][0]
    (pending,) = DomainEvent.objects.filter(type="return.refund_pending", subject_id=str(rma.pk))
    assert pending.data["refund"] == {"amount": str(rma.refund_amount), "currency": rma.currency}
    assert pending.data["refund_ids"] == rma.refund_ids and pending.data["by_transfer"] is True
    # The events of one return are numbered in the order they happened.
    types = [e.type for e in events.events_of("return", rma.pk)]
    assert types == [
        "return.requested",
        "return.approved",
        "return.label_issued",
        "return.received",
        "return.inspected",
        "return.refund_pending",
    ]


def test_the_label_issued_is_an_event(delivered) -> None:
    rma = services.return_label_create(rma_id=_open(delivered()).pk)
    (label,) = DomainEvent.objects.filter(type="return.label_issued", subject_id=str(rma.pk))
    assert (label.data["tracking_ref"], label.data["carrier"]) == (rma.tracking_ref, rma.carrier)
    assert label.actor_kind == "system"


def test_an_overdue_refund_is_an_event_once(delivered) -> None:
    rma = _received(_open(delivered()))
    later = timezone.now() + timedelta(days=30)
    assert services.returns_check_refund_sla(now=later).overdue == [rma.number]
    services.returns_check_refund_sla(now=later + timedelta(days=1))
    (overdue,) = DomainEvent.objects.filter(type="return.refund_overdue", subject_id=str(rma.pk))
    assert overdue.data["due_at"] == ReturnRequest.objects.get(pk=rma.pk).refund_due_at.isoformat()


def test_a_refused_move_writes_no_event(delivered, make_staff) -> None:
    rma = _received(_open(delivered()))
    before = DomainEvent.objects.count()
    with pytest.raises(InvalidReturnTransition) as refused:
        services.return_approve(rma_id=rma.pk, actor=make_staff("Manager"))
    assert refused.value.details == {"from": "received", "to": "approved", "allowed": ["inspected"]}
    assert DomainEvent.objects.count() == before
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.RECEIVED


def test_a_refund_confirmed_in_payments_refunds_the_return_through_the_event(delivered, make_staff) -> None:
    """Staff confirm the bank transfer on the payments page (not the return's): the return consumes
    `refund.succeeded`, becomes refunded and the customer gets the "refunded" email, once."""
    staff = make_staff("Manager")
    rma = _refund_pending(delivered)
    (refund,) = selectors.refund_rows(rma)
    payments.refund_confirm(refund_id=refund.pk, actor=staff, reference="OUT-9")
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.REFUND_PENDING  # not yet consumed
    run_tasks()
    rma = ReturnRequest.objects.get(pk=rma.pk)
    assert rma.status == ReturnStatus.REFUNDED and rma.refunded_at is not None
    (refunded,) = DomainEvent.objects.filter(type="return.refunded", subject_id=str(rma.pk))
    assert (refunded.actor_kind, refunded.actor_id) == ("staff", staff.pk)
    run_tasks()
    assert CustomerMessage.objects.filter(event_key=f"return:{rma.pk}:refund_sent").count() == 1
