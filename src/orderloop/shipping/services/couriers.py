"""The shop's couriers and the store's counter: delivered or failed at the door, the cash collected, the
route, the day's cash handed in."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput, PermissionDeniedError
from orderloop.core.text import clean_text
from orderloop.orders.models import Order
from orderloop.orders.promise import route_day
from orderloop.orders.services import shop_calendar

from .. import domain
from ..errors import CashAmountWrong, InvalidShipmentTransition, NotYourDelivery
from ..models import (
    AdapterKind,
    CodCollection,
    CodHandover,
    EventSource,
    FailureReason,
    Shipment,
    ShipmentEvent,
)
from .common import DELIVER, MANAGE, Actor, S, _has_perm, _locked
from .handover import _courier
from .moves import _apply


def _may_deliver(shipment: Shipment, actor: Actor) -> None:
    """A courier closes only their own deliveries; staff who manage shipments close any; the system
    itself (actor None: a management command, a test) too."""
    if actor is None or _has_perm(actor, MANAGE):
        return
    if not _has_perm(actor, DELIVER):
        raise PermissionDeniedError(details={"required": [DELIVER]})
    if shipment.courier_id is None or shipment.courier_id != _actor_id(actor):
        raise NotYourDelivery(details={"shipment": shipment.pk})


def _cash(value: object, currency: str) -> Decimal:
    from orderloop.core.money import Money

    try:
        return Money.of(str(value).strip().replace(",", "."), currency).amount
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise InvalidInput(details={"cash_collected": _("Enter an amount, e.g. 120.00.")}) from exc


def _collect(order: Order, shipment: Shipment, amount: Decimal, *, actor: Actor) -> CodCollection | None:
    """The payment (payments area) and, when a person took the cash, whose cash it is for the day's
    reconciliation (the shipment's courier, else the member of staff at the counter)."""
    from orderloop.payments.services import payment_record_cod_collected

    payment = payment_record_cod_collected(order_id=order.pk, amount=str(amount), actor=actor)
    courier_id = shipment.courier_id or _actor_id(actor)
    if courier_id is None:
        return None
    return CodCollection.objects.create(
        shipment=shipment,
        courier_id=courier_id,
        date=timezone.localdate(),
        amount=amount,
        currency=shipment.currency,
        payment_id=payment.pk,
    )


def delivery_mark_delivered(*, shipment_id: int, actor: Actor, cash_collected: object = None) -> Shipment:
    """The customer has the parcel (the courier at the door, or the store's counter): the shipment is
    closed `delivered`, the cash due is recorded as collected (exactly the amount due, else 422
    cash_amount_wrong), and the order moves to `delivered` when all its parcels are."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.DELIVERED})
        due = shipment.cod_amount if not hasattr(shipment, "cod_collection") else Decimal("0")
        if due > 0:
            if cash_collected in (None, "") or _cash(cash_collected, shipment.currency) != due:
                raise CashAmountWrong(details={"cash_collected": str(due)})
            _collect(order, shipment, due, actor=actor)
        _apply(
            order,
            shipment,
            status=S.DELIVERED,
            source=EventSource.COURIER if shipment.courier_id == _actor_id(actor) else EventSource.STAFF,
            key="delivered",
            actor=actor,
            data={"cash_collected": str(due)} if due > 0 else None,
        )
        return shipment


def delivery_mark_failed(*, shipment_id: int, actor: Actor, reason: str, note: str = "") -> Shipment:
    """The delivery did not happen. A refusal sends the parcel back to the sender (the order becomes
    `refused`, returns take it from there); any other reason is a failed attempt (tried again)."""
    if reason not in FailureReason.values:
        raise InvalidInput(details={"reason": _("Choose why the delivery failed.")})
    note = clean_text(note, 255)
    if reason == FailureReason.OTHER and not note:
        raise InvalidInput(details={"note": _("Say what happened.")})
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.FAILED_ATTEMPT})
        shipment.failure_reason = reason
        shipment.failure_note = note
        fields = ["failure_reason", "failure_note"]
        status = S.RETURNED_TO_SENDER if reason == FailureReason.REFUSED else S.FAILED_ATTEMPT
        data: dict[str, Any] = {"reason": reason, "note": note}
        if status == S.FAILED_ATTEMPT and shipment.courier_id is not None:
            # Our courier tries again on the next working day (not before the customer's chosen day):
            # the parcel moves to that day's route, which is the next attempt the order card and the
            # customer are told about.
            shipment.delivery_date = next_attempt_day(order, timezone.localdate())
            shipment.route_position = None
            fields += ["delivery_date", "route_position"]
            data["next_attempt"] = shipment.delivery_date.isoformat()
        shipment.save(update_fields=fields)
        attempts = ShipmentEvent.objects.filter(shipment=shipment, status=S.FAILED_ATTEMPT).count()
        _apply(
            order,
            shipment,
            status=status,
            source=EventSource.COURIER if shipment.courier_id == _actor_id(actor) else EventSource.STAFF,
            key=f"failed:{attempts + 1}:{timezone.now().isoformat()}",
            actor=actor,
            description=FailureReason(reason).label + (f": {note}" if note else ""),
            data=data,
        )
        return shipment


def next_attempt_day(order: Order, today: date) -> date:
    """Our courier's next try after a failed one: the next working day of the shop's calendar, or the
    customer's chosen day when that is later."""
    following = shop_calendar().next_working_day(today + timedelta(days=1))
    return max(following, route_day(order, today))


def delivery_record_cash(*, shipment_id: int, actor: Actor, amount: object) -> CodCollection | None:
    """Cash collected for a delivered parcel that was not recorded at the door."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        _may_deliver(shipment, actor)
        if shipment.status != S.DELIVERED or hasattr(shipment, "cod_collection") or shipment.cod_amount <= 0:
            raise InvalidShipmentTransition(details={"status": shipment.status, "cash": "nothing to record"})
        value = _cash(amount, shipment.currency)
        if value != shipment.cod_amount:
            raise CashAmountWrong(details={"cash_collected": str(shipment.cod_amount)})
        return _collect(order, shipment, value, actor=actor)


def pickup_mark_ready(*, shipment_id: int, actor: Actor) -> Shipment:
    """Store pickup: the parcel waits at the counter (the customer is told)."""
    with transaction.atomic():
        order, shipment = _locked(shipment_id)
        if shipment.carrier.adapter != AdapterKind.STORE_PICKUP or shipment.status not in domain.ON_THE_WAY:
            raise InvalidShipmentTransition(details={"from": shipment.status, "to": S.READY_FOR_PICKUP})
        _apply(order, shipment, status=S.READY_FOR_PICKUP, source=EventSource.STAFF, key="ready", actor=actor)
        return shipment


def route_set_position(*, shipment_id: int, position: int | None, actor: Actor) -> Shipment:
    """Put a delivery at a place in the courier's route (None: back to the rule's order)."""
    if position is not None and not 1 <= position <= 1000:
        raise InvalidInput(details={"position": _("Must be between 1 and %(n)s.") % {"n": 1000}})
    with transaction.atomic():
        _order, shipment = _locked(shipment_id)
        shipment.route_position = position
        shipment.save(update_fields=["route_position"])
        return shipment


def cod_handover_record(
    *, courier_username: str, day: date, currency: str, amount: object, actor: Actor, note: str = ""
) -> CodHandover:
    """A manager counted the cash a courier handed in for a day (recording again replaces the count)."""
    courier = _courier(courier_username)
    value = _cash(amount, currency)
    if value < 0:
        raise InvalidInput(details={"amount": _("Must not be negative.")})
    with transaction.atomic():
        row, _created = CodHandover.objects.select_for_update().update_or_create(
            courier=courier,
            date=day,
            currency=currency,
            defaults={"amount": value, "note": clean_text(note, 255), "received_by_id": _actor_id(actor)},
        )
        return row
