"""Approval or rejection, the return label, the parcel on its way, closing a return."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.errors import InvalidInput
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.text import clean_text
from orderloop.orders.services import Actor

from .. import tasks
from ..errors import ReturnNotFound
from ..models import ReturnEventKind, ReturnMethod, ReturnRequest
from ..shipping_port import ReturnParcel, return_shipping
from ..transitions import move, subject, timeline
from .common import S, _locked, _order_after_return
from .receipt import return_receive


def _approve(rma: ReturnRequest, *, actor: Actor, reason: str = "") -> None:
    move(rma, S.APPROVED, actor=actor, reason=reason)
    enqueue_with_transaction(tasks.create_return_label, rma_id=rma.pk)


def return_approve(*, rma_id: int, actor: Actor) -> ReturnRequest:
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        _approve(rma, actor=actor)
        return rma


def return_reject(*, rma_id: int, actor: Actor, reason: str) -> ReturnRequest:
    reason = clean_text(reason, 255)
    if not reason:
        raise InvalidInput(details={"reason": _("Tell the customer why.")})
    with transaction.atomic():
        order, rma = _locked(rma_id)
        rma.rejection_reason = reason
        move(rma, S.REJECTED, actor=actor, reason=reason)
        _order_after_return(order, actor=actor)
        return rma


def return_close(*, rma_id: int, actor: Actor, reason: str) -> ReturnRequest:
    """Close a return: withdrawn before the parcel arrived (its units may be requested again), or
    inspected with nothing owed (e.g. the units never arrived)."""
    reason = clean_text(reason, 255)
    if not reason:
        raise InvalidInput(details={"reason": _("A reason is required.")})
    with transaction.atomic():
        order, rma = _locked(rma_id)
        move(rma, S.CLOSED, actor=actor, reason=reason)
        _order_after_return(order, actor=actor)
        return rma


def _parcel(rma: ReturnRequest) -> ReturnParcel:
    order = rma.order
    address = settings.ORDERLOOP.get("RETURN_ADDRESS") or {}
    warehouse = rma.warehouse
    if address:
        recipient = tuple(str(part) for part in address.get("lines", []) if part)
    elif warehouse is not None:
        recipient = tuple(
            part
            for part in (
                str(settings.ORDERLOOP.get("SHOP_NAME", "")),
                _("Returns, %(number)s") % {"number": rma.number},
                warehouse.address_line,
                " ".join(p for p in (warehouse.postal_code, warehouse.city) if p),
                warehouse.country,
            )
            if part
        )
    else:
        recipient = (str(settings.ORDERLOOP.get("SHOP_NAME", "")),)
    sender = tuple(
        part
        for part in (
            order.customer_name,
            order.ship_line1,
            order.ship_line2,
            " ".join(p for p in (order.ship_postal_code, order.ship_city) if p),
            order.ship_country,
        )
        if part
    )
    items = tuple(
        f"{line.quantity} × {line.order_line.name} ({line.sku})"
        for line in rma.lines.select_related("order_line")
    )
    weight = sum(line.quantity * line.variant.weight_g for line in rma.lines.select_related("variant"))
    return ReturnParcel(
        rma_number=rma.number,
        order_number=order.number,
        method=rma.method,
        language=order.customer_language,
        sender=sender,
        sender_phone=order.customer_phone,
        recipient=recipient,
        items=items,
        weight_g=weight,
    )


def return_label_create(*, rma_id: int) -> ReturnRequest:
    """Ask the shipping port for the return label (outside any transaction), then record its tracking
    reference and PDF. Does nothing for a return that has its label, is not approved yet, or comes back
    with the carrier (refused). Safe to run twice (the task and the request path may both run it)."""
    rma = ReturnRequest.objects.select_related("order", "warehouse").filter(pk=rma_id).first()
    if rma is None:
        raise ReturnNotFound()
    if rma.label_created_at is not None or rma.method == ReturnMethod.CARRIER_RETURN:
        return rma
    if rma.status not in {S.APPROVED, S.IN_TRANSIT}:
        return rma
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("the shipping port must not be called inside a database transaction")
    label = return_shipping().create_return_label(_parcel(rma))
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if rma.label_created_at is not None:
            return rma
        rma.tracking_ref = clean_text(label.tracking_ref, 100)
        rma.carrier = clean_text(label.carrier, 40)
        rma.label_created_at = timezone.now()
        if label.pdf:
            rma.label_file.save(
                f"{rma.number}-{uuid.uuid4().hex[:12]}.pdf", ContentFile(label.pdf), save=False
            )
        rma.save()
        label_data = {"tracking_ref": rma.tracking_ref, "carrier": rma.carrier}
        events.record("return.label_issued", rma.pk, {**subject(rma), **label_data})
        timeline(rma, kind=ReturnEventKind.LABEL, actor=None, data=label_data)
        return rma


def return_mark_in_transit(*, rma_id: int, actor: Actor, tracking_ref: str = "") -> ReturnRequest:
    """The customer sent the parcel (staff by hand, or carrier tracking)."""
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if tracking_ref.strip():
            rma.tracking_ref = clean_text(tracking_ref, 100)
        move(
            rma,
            S.IN_TRANSIT,
            actor=actor,
            data={"tracking_ref": tracking_ref} if tracking_ref else None,
            payload={"tracking_ref": rma.tracking_ref},
        )
        return rma


def return_tracking_refresh(*, rma_id: int) -> ReturnRequest:
    """Ask the port for the parcel's news (outside any transaction) and move the return along."""
    rma = ReturnRequest.objects.filter(pk=rma_id).first()
    if rma is None:
        raise ReturnNotFound()
    if not rma.tracking_ref or rma.status not in {S.APPROVED, S.IN_TRANSIT}:
        return rma
    updates = return_shipping().track(rma.tracking_ref)
    statuses = {update.status for update in updates}
    if "delivered" in statuses:
        if rma.status == S.APPROVED:
            return_mark_in_transit(rma_id=rma.pk, actor=None)
        return return_receive(rma_id=rma.pk, actor=None)
    if "in_transit" in statuses and rma.status == S.APPROVED:
        return return_mark_in_transit(rma_id=rma.pk, actor=None)
    return rma
