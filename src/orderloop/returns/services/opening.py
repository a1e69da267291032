"""Opening a return: by the customer or staff for a delivered order, or for a parcel refused at delivery."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.text import at_most_characters
from orderloop.orders.models import Order, OrderStatus
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..errors import (
    LinesNotReturnable,
    NothingToRefund,
    OrderFullyReturned,
    OrderNotDelivered,
    OrderNotRefused,
    ReturnWindowClosed,
)
from ..models import ReturnChannel, ReturnLine, ReturnMethod, ReturnPhoto, ReturnReason, ReturnRequest
from ..photos import PhotoUpload, check_photos
from ..transitions import move, opened
from .approval import _approve
from .common import MAX_NOTE, S, _clean_bank_details, _default_warehouse, _lock_order, _order_returning


@dataclass(frozen=True)
class LineInput:
    order_line_id: int
    quantity: int
    reason: str


def _next_number(order: Order) -> str:
    count = ReturnRequest.objects.filter(order=order).count()
    return domain.rma_number(order.number, count + 1)


def _check_lines(
    order: Order,
    eligibility: selectors.Eligibility,
    lines: Sequence[LineInput],
    *,
    allow_refused: bool = False,
) -> None:
    by_id = {row.line.pk: row for row in eligibility.lines}
    errors: dict[str, str] = {}
    if not lines:
        errors["lines"] = _("Choose at least one item to return.")
    seen: set[int] = set()
    reasons = {*domain.CUSTOMER_REASONS, *([ReturnReason.REFUSED] if allow_refused else [])}
    for index, item in enumerate(lines):
        prefix = f"lines.{index}"
        row = by_id.get(item.order_line_id)
        if row is None or item.order_line_id in seen:
            errors[f"{prefix}.line"] = _("Not a line of this order.")
            continue
        seen.add(item.order_line_id)
        if item.reason not in reasons:
            errors[f"{prefix}.reason"] = _("Choose a reason.")
        refusal = domain.line_refusal(
            category_id=row.line.variant.product.category_id,
            non_returnable=eligibility.terms.non_returnable_category_ids,
            returnable=row.returnable,
            requested=item.quantity,
        )
        if refusal == "not_returnable":
            errors[f"{prefix}.quantity"] = _(
                "%(name)s cannot be returned (not returnable by our policy)."
            ) % {"name": row.line.name}
        elif refusal == "quantity_exceeds_returnable":
            errors[f"{prefix}.quantity"] = _("At most %(n)s of %(name)s can be returned.") % {
                "n": row.returnable,
                "name": row.line.name,
            }
        elif refusal == "invalid_quantity":
            errors[f"{prefix}.quantity"] = _("Must be at least 1.")
    if errors:
        raise LinesNotReturnable(details=errors)


def return_open(
    *,
    order_id: int,
    lines: Sequence[LineInput],
    method: str,
    channel: str,
    actor: Actor,
    note: str = "",
    photos: Sequence[PhotoUpload] = (),
    today: Any = None,
    bank_iban: str = "",
    bank_holder: str = "",
    require_bank_details: bool = False,
) -> ReturnRequest:
    """Open a return for some of a delivered order's lines, by the customer (follow-the-order page,
    return portal) or by staff for them. Refused with a reason when the order is not delivered or the
    window (never below the legal minimum) is over (409), or when a line cannot be returned in that
    quantity or belongs to a non-returnable category (422, per line). Eligible requests are approved at
    once when the policy says so; the label is then made by `return_label_create` (after commit).

    The account a refund by bank transfer goes to (cash on delivery, transfers) may come with the
    request: an invalid IBAN is a 422 `bank_details_invalid`; `require_bank_details` (the customer's
    form) makes it a 422 `bank_details_required` to leave it out when the order's money goes back by
    transfer."""
    checked = check_photos(list(photos))
    iban, holder = _clean_bank_details(bank_iban, bank_holder, required=False)
    if method not in domain.CUSTOMER_METHODS:
        raise InvalidInput(details={"method": _("Choose how you send the items back.")})
    if channel not in ReturnChannel.values or channel == ReturnChannel.REFUSED:
        raise InvalidInput(details={"channel": _("Unknown channel.")})
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(details={"note": at_most_characters(MAX_NOTE)})
    with transaction.atomic():
        order = _lock_order(order_id)
        eligibility = selectors.eligibility(order, today=today)
        if eligibility.refusal == "return_window_closed":
            raise ReturnWindowClosed(
                details={
                    "last_day": eligibility.last_day.isoformat() if eligibility.last_day else None,
                    "window_days": eligibility.terms.window_days,
                }
            )
        if eligibility.refusal == "order_fully_returned":
            raise OrderFullyReturned(details={"status": order.status})
        if eligibility.refusal is not None:
            raise OrderNotDelivered(details={"status": order.status})
        _check_lines(order, eligibility, lines)
        if method not in eligibility.terms.methods:
            raise InvalidInput(details={"method": _("This return method is not offered for your country.")})
        if require_bank_details and not iban and selectors.refund_by_transfer(order):
            _clean_bank_details(bank_iban, bank_holder, required=True)  # raises, naming what is missing
        rma = _create(
            order,
            terms=eligibility.terms,
            method=method,
            channel=channel,
            actor=actor,
            note=note,
            lines=lines,
        )
        if iban:
            rma.bank_iban, rma.bank_holder = iban, holder
            rma.save(update_fields=["bank_iban", "bank_holder", "updated_at"])
        for photo in checked:
            row = ReturnPhoto(request=rma, content_type=photo.content_type, size=len(photo.content))
            row.image.save(
                f"{rma.number}-{uuid.uuid4().hex[:8]}.{photo.extension}",
                ContentFile(photo.content),
                save=False,
            )
            row.save()
        if eligibility.terms.auto_approve:
            _approve(rma, actor=None, reason="policy")
        _order_returning(order, actor=actor, reason=rma.number)
        return rma


def _create(
    order: Order,
    *,
    terms: domain.PolicyTerms,
    method: str,
    channel: str,
    actor: Actor,
    note: str,
    lines: Sequence[LineInput],
    status: str = S.REQUESTED,
) -> ReturnRequest:
    order_lines = {line.pk: line for line in order.lines.all()}
    rma = ReturnRequest.objects.create(
        number=_next_number(order),
        order=order,
        status=status,
        status_changed_at=timezone.now(),
        method=method,
        opened_via=channel,
        opened_by_id=_actor_id(actor),
        customer_note=note,
        warehouse=_default_warehouse(order),
        policy=terms.as_json(),
        currency=order.currency,
    )
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                request=rma,
                order_line=order_lines[item.order_line_id],
                variant_id=order_lines[item.order_line_id].variant_id,
                sku=order_lines[item.order_line_id].sku,
                quantity=item.quantity,
                reason=item.reason,
            )
            for item in lines
        ]
    )
    opened(
        rma,
        actor=actor,
        channel=channel,
        lines=[
            {"sku": order_lines[i.order_line_id].sku, "quantity": i.quantity, "reason": i.reason}
            for i in lines
        ],
    )
    return rma


def return_open_for_refused(*, order_id: int, actor: Actor) -> ReturnRequest:
    """A parcel refused at delivery (or not collected) comes back: a return with reason `refused` for
    every unit of the order not in another return, already approved (nobody needs to ask for it), no
    window check. Called by the shipping area when an order moves to `refused`; calling it again returns
    the same return."""
    with transaction.atomic():
        order = _lock_order(order_id)
        existing = ReturnRequest.objects.filter(order=order, opened_via=ReturnChannel.REFUSED).first()
        if existing is not None:
            return existing
        if order.status != OrderStatus.REFUSED:
            raise OrderNotRefused(details={"status": order.status})
        taken = selectors.units_in_returns(order)
        lines = [
            LineInput(
                order_line_id=line.pk,
                quantity=line.quantity - taken.get(line.pk, 0),
                reason=ReturnReason.REFUSED,
            )
            for line in order.lines.order_by("position")
            if line.quantity - taken.get(line.pk, 0) > 0
        ]
        if not lines:
            raise NothingToRefund(details={"order": order.number})
        terms = selectors.policy_terms_for(order.ship_country)
        rma = _create(
            order,
            terms=terms,
            method=ReturnMethod.CARRIER_RETURN,
            channel=ReturnChannel.REFUSED,
            actor=actor,
            note="",
            lines=lines,
        )
        move(rma, S.APPROVED, actor=actor, reason="refused at delivery")
        return rma
