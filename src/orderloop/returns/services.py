"""Every write of the returns area.

Each service is one `transaction.atomic`: it locks the order row first (orders/locks.py), then the
return row (returns/locks.py), checks the return's transition table (domain.RETURN_TRANSITIONS), writes,
and appends a ReturnEvent (who, when, from → to, why). Stock moves through inventory.services (a ledger
row each), money through payments.services, the order's status through orders.services.order_transition.

Outside systems are never called inside a transaction (DESIGN.md §4): the return label comes from the
shipping port after the approving transaction committed (`return_label_create`, also queued as a task),
and card refunds are sent to Stripe after the refunding transaction committed (`return_refund_send`,
also queued by payments as `send_refund`).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from orderloop.core import roles
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.core.sequences import next_in_sequence
from orderloop.core.text import at_most_characters, clean_text
from orderloop.inventory.models import MovementReason, Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.orders import locks as order_locks
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, OrderStatus
from orderloop.orders.services import Actor, order_place, order_transition
from orderloop.orders.shipout import order_lines_ship_out

from . import domain, selectors, tasks
from .errors import (
    BankDetailsInvalid,
    BankDetailsRequired,
    InvalidReturnTransition,
    LinesNotReturnable,
    NothingToRefund,
    OrderFullyReturned,
    OrderNotDelivered,
    OrderNotRefused,
    ReturnNotFound,
    ReturnWindowClosed,
)
from .locks import return_for_update
from .models import (
    ConditionGrade,
    CreditNote,
    CreditNoteCounter,
    Disposition,
    Inspection,
    ReturnChannel,
    ReturnEvent,
    ReturnEventKind,
    ReturnLine,
    ReturnMethod,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)
from .photos import PhotoUpload, check_photos
from .shipping_port import ReturnParcel, return_shipping

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
S = ReturnStatus
MAX_NOTE = 2000
BATCH = 500  # returns checked per SLA run; the next run takes the rest

SLA_NOTIFICATION_KIND = "sla_breach"
SLA_MESSAGE = gettext_noop(
    "The refund of return %(number)s (order %(order)s) was due on %(due)s and is overdue."
)


def _event(
    rma: ReturnRequest,
    *,
    kind: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> ReturnEvent:
    return ReturnEvent.objects.create(
        request=rma,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=clean_text(reason, 255),
        data=data or {},
    )


def _move(
    rma: ReturnRequest, to: str, *, actor: Actor, reason: str = "", data: dict[str, Any] | None = None
) -> None:
    """Move a locked return: check the table, write the status, append the event."""
    current = rma.status
    if not domain.can_move(current, to):
        raise InvalidReturnTransition(
            details={"from": current, "to": to, "allowed": domain.allowed_next(current)}
        )
    rma.status = to
    rma.status_changed_at = timezone.now()
    rma.save()
    _event(
        rma,
        kind=ReturnEventKind.STATUS_CHANGE,
        actor=actor,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )


def _locked(rma_id: int) -> tuple[Order, ReturnRequest]:
    locked = return_for_update(rma_id)
    if locked is None:
        raise ReturnNotFound()
    return locked


def _lock_order(order_id: int) -> Order:
    order = order_locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


# --- Customer messages ------------------------------------------------------------------------------------

RETURN_MESSAGES = ("return_approved", "return_rejected", "return_received", "refund_sent", "exchange_created")


def _message(rma: ReturnRequest, kind: str) -> None:
    """Tell the customer, in their language, in this transaction (sent by the task worker)."""
    from orderloop.notifications.services import customer_message_queue

    order = rma.order
    if not order.customer_email:
        return
    language = order.customer_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "rma": rma,
            "order": order,
            "shop_name": settings.ORDERLOOP.get("SHOP_NAME", ""),
            "return_url": selectors.return_url(rma),
            "refund": Money.of(rma.refund_amount, rma.currency).format(language),
            "method": ReturnMethod(rma.method).label if rma.method in ReturnMethod.values else rma.method,
        }
        subject = render_to_string(f"returns/email/{kind}_subject.txt", context)
        body = render_to_string(f"returns/email/{kind}.txt", context)
    customer_message_queue(
        order=order,
        event_key=f"return:{rma.pk}:{kind}",
        kind=kind,
        recipient=order.customer_email,
        language=language,
        subject=subject,
        body=body,
    )


# --- Policies ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInput:
    country: str
    window_days: int
    conditions: Sequence[str] = ("unused", "original_packaging")
    non_returnable_categories: Sequence[str] = ()  # category slugs
    return_shipping_paid_by: str = "shop"
    return_shipping_fee: str = "0"
    refund_delivery: str = "full_return"
    methods: Sequence[str] = domain.CUSTOMER_METHODS
    refund_due_days: int = 14
    auto_approve: bool = True
    notes: dict[str, str] = field(default_factory=dict)


def policy_save(*, data: PolicyInput, actor: Actor) -> ReturnPolicy:
    """Create or replace the policy of a country (`country` "" or "*": the shop's default). Refuses a
    window below the country's legal minimum (the default policy: the strictest minimum configured)."""
    from orderloop.catalog.models import Category
    from orderloop.inventory.selectors import country_codes

    country = clean_text(data.country, 2).upper() if data.country.strip() not in ("", "*") else ""
    errors: dict[str, str] = {}
    if country and country not in country_codes():
        errors["country"] = _("Use a two-letter ISO 3166 country code, e.g. UA or SE.")
    minimums = selectors.legal_minimums()
    minimum = (
        domain.legal_minimum(country, minimums)
        if country
        else max([domain.legal_minimum("", minimums), *minimums.values()])
    )
    try:
        fee = Money.of(
            data.return_shipping_fee or "0", settings.ORDERLOOP.get("DEFAULT_CURRENCY", "UAH")
        ).amount
    except MoneyError:
        errors["return_shipping_fee"] = _("Not a decimal amount.")
        fee = ZERO
    errors.update(
        domain.policy_errors(
            window_days=int(data.window_days),
            minimum=minimum,
            refund_due_days=int(data.refund_due_days),
            conditions=list(data.conditions),
            methods=list(data.methods),
            fee=fee,
            shipping_paid_by=data.return_shipping_paid_by,
            refund_delivery=data.refund_delivery,
        )
    )
    categories = list(Category.objects.filter(slug__in=list(data.non_returnable_categories)))
    missing = set(data.non_returnable_categories) - {c.slug for c in categories}
    if missing:
        errors["non_returnable_categories"] = _("Unknown category: %(slug)s.") % {"slug": sorted(missing)[0]}
    languages = {code for code, _name in settings.LANGUAGES}
    if any(lang not in languages for lang in data.notes):
        errors["notes"] = _("Not a language this shop speaks.")
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        policy, _created = ReturnPolicy.objects.select_for_update().get_or_create(
            country=country,
            defaults={"window_days": int(data.window_days)},
        )
        policy.window_days = int(data.window_days)
        policy.conditions = list(dict.fromkeys(data.conditions))
        policy.return_shipping_paid_by = data.return_shipping_paid_by
        policy.return_shipping_fee = fee
        policy.refund_delivery = data.refund_delivery
        policy.methods = list(dict.fromkeys(data.methods))
        policy.refund_due_days = int(data.refund_due_days)
        policy.auto_approve = bool(data.auto_approve)
        policy.notes_translations = {k: clean_text(v, MAX_NOTE) for k, v in data.notes.items() if v.strip()}
        policy.save()
        policy.non_returnable_categories.set(categories)
        return policy


# --- Opening a return ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    order_line_id: int
    quantity: int
    reason: str


def _next_number(order: Order) -> str:
    count = ReturnRequest.objects.filter(order=order).count()
    return domain.rma_number(order.number, count + 1)


def _default_warehouse(order: Order) -> Warehouse | None:
    """Where the return goes: the warehouse the order's units were reserved in (or shipped from), else the
    first active warehouse."""
    from orderloop.inventory.models import StockMovement

    allocation = order.lines.filter(allocations__isnull=False).values_list(
        "allocations__warehouse_id", flat=True
    )
    warehouse_id = allocation.first() or (
        StockMovement.objects.filter(reference=f"order {order.number}", reason=MovementReason.SHIPMENT)
        .values_list("stock__warehouse_id", flat=True)
        .first()
    )
    if warehouse_id is not None:
        return Warehouse.objects.filter(pk=warehouse_id).first()
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()


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
    _event(
        rma,
        kind=ReturnEventKind.OPENED,
        actor=actor,
        to_status=status,
        reason=channel,
        data={
            "lines": [
                {"sku": order_lines[i.order_line_id].sku, "quantity": i.quantity, "reason": i.reason}
                for i in lines
            ]
        },
    )
    return rma


def _order_returning(order: Order, *, actor: Actor, reason: str) -> None:
    if order.status in {OrderStatus.DELIVERED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.COMPLETED}:
        order_transition(
            order_id=order.pk, to=OrderStatus.RETURN_REQUESTED, actor=actor, reason=f"return {reason}"
        )


def _order_after_return(order: Order, *, actor: Actor) -> None:
    """When the order's last open return ended (a return waiting for its refund is still open): the
    order is `returned` when every unit (free gifts aside) is back, `partially_returned` when some are,
    else `completed` (rejected or withdrawn)."""
    if order.status != OrderStatus.RETURN_REQUESTED:
        return
    if ReturnRequest.objects.filter(order=order, status__in=domain.OPEN).exists():
        return
    ordered = {line.pk: line.quantity for line in order.lines.all() if not line.is_gift}
    to = domain.order_status_after_returns(ordered=ordered, back=selectors.units_back(order, ended_only=True))
    order_transition(order_id=order.pk, to=to, actor=actor, reason="returns settled")


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
        _move(rma, S.APPROVED, actor=actor, reason="refused at delivery")
        return rma


# --- Approval, label, transit, receipt -------------------------------------------------------------------


def _approve(rma: ReturnRequest, *, actor: Actor, reason: str = "") -> None:
    _move(rma, S.APPROVED, actor=actor, reason=reason)
    enqueue_with_transaction(tasks.create_return_label, rma_id=rma.pk)
    _message(rma, "return_approved")


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
        _move(rma, S.REJECTED, actor=actor, reason=reason)
        rma.rejection_reason = reason
        rma.save(update_fields=["rejection_reason", "updated_at"])
        _message(rma, "return_rejected")
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
        _move(rma, S.CLOSED, actor=actor, reason=reason)
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
        _event(
            rma,
            kind=ReturnEventKind.LABEL,
            actor=None,
            data={"tracking_ref": rma.tracking_ref, "carrier": rma.carrier},
        )
        return rma


def return_mark_in_transit(*, rma_id: int, actor: Actor, tracking_ref: str = "") -> ReturnRequest:
    """The customer sent the parcel (staff by hand, or carrier tracking)."""
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        _move(rma, S.IN_TRANSIT, actor=actor, data={"tracking_ref": tracking_ref} if tracking_ref else None)
        if tracking_ref.strip():
            rma.tracking_ref = clean_text(tracking_ref, 100)
            rma.save(update_fields=["tracking_ref", "updated_at"])
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


def return_receive(*, rma_id: int, actor: Actor, warehouse_code: str = "") -> ReturnRequest:
    """The parcel arrived at the warehouse: the refund SLA starts (due within the policy's 7–14 days)."""
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if warehouse_code.strip():
            warehouse = Warehouse.objects.filter(code__iexact=warehouse_code.strip()).first()
            if warehouse is None:
                raise InvalidInput(details={"warehouse": _("Unknown warehouse.")})
            rma.warehouse = warehouse
        _move(rma, S.RECEIVED, actor=actor)
        now = timezone.now()
        terms = domain.PolicyTerms.from_json(rma.policy)
        rma.received_at = now
        rma.refund_due_at = domain.refund_due_at(now, terms.refund_due_days)
        rma.save()
        _message(rma, "return_received")
        return rma


def return_receive_scan(*, code: str, actor: Actor, warehouse_code: str = "") -> ReturnRequest:
    """A scanned RMA barcode (or return tracking number) receives that return."""
    rma = selectors.return_for_code(code)
    if rma is None:
        raise ReturnNotFound(details={"code": (code or "").strip()[:100]})
    return return_receive(rma_id=rma.pk, actor=actor, warehouse_code=warehouse_code)


def return_add_note(*, rma_id: int, actor: Actor, text: str) -> ReturnEvent:
    text = clean_text(text, 255)
    if not text:
        raise InvalidInput(details={"text": _("This field is required.")})
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        return _event(rma, kind=ReturnEventKind.NOTE, actor=actor, reason=text)


# --- Inspection --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionInput:
    line_id: int
    quantity: int
    grade: str
    disposition: str = ""  # empty: domain.DEFAULT_DISPOSITION
    refund: bool | None = None  # None: domain.refunds_by_default
    note: str = ""


def quarantine_warehouse() -> Warehouse:
    """The quarantine: an inactive warehouse (`RETURN_QUARANTINE_WAREHOUSE`, default `QUARANTINE`), so
    its units are never allocated, sold or picked; created on first use."""
    code = str(settings.ORDERLOOP.get("RETURN_QUARANTINE_WAREHOUSE", "QUARANTINE"))
    warehouse = Warehouse.objects.filter(code__iexact=code).first()
    if warehouse is not None:
        return warehouse
    try:
        with transaction.atomic():
            return Warehouse.objects.create(
                code=code,
                name=_("Returns quarantine"),
                country=str(settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA"))[:2],
                priority=1_000_000,
                is_active=False,
            )
    except IntegrityError:
        return Warehouse.objects.get(code__iexact=code)


def _book_units(
    rma: ReturnRequest, line: ReturnLine, item: InspectionInput, *, disposition: str, actor: Actor
) -> Warehouse | None:
    """Stock for inspected units, through the ledger: resellable → RETURN into the receiving warehouse's
    available stock; quarantine → RETURN into the quarantine warehouse; write-off → RETURN then an
    ADJUSTMENT out again (the ledger shows the unit came back and was written off)."""
    if disposition == Disposition.NONE:
        return None
    warehouse = rma.warehouse or _default_warehouse(rma.order)
    if warehouse is None:
        raise InvalidInput(details={"warehouse": _("No warehouse to receive the return in.")})
    reference = f"return {rma.number}"
    variant = line.variant
    if disposition == Disposition.QUARANTINE:
        target = quarantine_warehouse()
        stock_adjust(
            variant=variant,
            warehouse=target,
            delta=item.quantity,
            reason=MovementReason.RETURN,
            actor=actor,
            reference=reference,
            note=clean_text(f"quarantine: {item.grade} {item.note}", 255),
        )
        return target
    stock_adjust(
        variant=variant,
        warehouse=warehouse,
        delta=item.quantity,
        reason=MovementReason.RETURN,
        actor=actor,
        reference=reference,
        note=item.grade,
    )
    if disposition == Disposition.WRITE_OFF:
        stock_adjust(
            variant=variant,
            warehouse=warehouse,
            delta=-item.quantity,
            reason=MovementReason.ADJUSTMENT,
            actor=actor,
            reference=reference,
            note=clean_text(f"write-off: {item.grade} {item.note}", 255),
        )
    return warehouse


def return_inspect(*, rma_id: int, items: Sequence[InspectionInput], actor: Actor) -> ReturnRequest:
    """Record what arrived, line by line: every unit of every line gets a condition grade (`missing` for
    units not in the parcel) and a disposition; stock moves through the ledger in the same transaction.
    Two inspectors at once: the second finds the return inspected already (409) and nothing is booked twice."""
    with transaction.atomic():
        order, rma = _locked(rma_id)
        if not domain.can_move(rma.status, S.INSPECTED):
            raise InvalidReturnTransition(
                details={"from": rma.status, "to": S.INSPECTED, "allowed": domain.allowed_next(rma.status)}
            )
        lines = {line.pk: line for line in rma.lines.select_related("variant", "order_line")}
        errors: dict[str, str] = {}
        counted: dict[int, int] = defaultdict(int)
        plan: list[tuple[InspectionInput, str, bool]] = []
        for index, item in enumerate(items):
            prefix = f"items.{index}"
            if item.line_id not in lines:
                errors[f"{prefix}.line_id"] = _("Not a line of this return.")
                continue
            if item.quantity < 1:
                errors[f"{prefix}.quantity"] = _("Must be at least 1.")
                continue
            disposition = item.disposition or domain.DEFAULT_DISPOSITION.get(item.grade, "")  # type: ignore[call-overload]
            problem = domain.disposition_error(item.grade, disposition)
            if problem == "unknown_grade":
                errors[f"{prefix}.grade"] = _("Choose the condition.")
                continue
            if problem is not None:
                errors[f"{prefix}.disposition"] = _(
                    "Damaged or missing units cannot go back to available stock."
                )
                continue
            refund = domain.refunds_by_default(item.grade) if item.refund is None else bool(item.refund)
            if item.grade == ConditionGrade.MISSING:
                refund = False
            counted[item.line_id] += item.quantity
            plan.append((item, disposition, refund))
        for line_id, line in lines.items():
            if not errors and counted.get(line_id, 0) != line.quantity:
                errors[f"lines.{line_id}"] = ngettext(
                    "Grade the %(n)s unit of %(sku)s (mark it missing if it did not arrive).",
                    "Grade all %(n)s units of %(sku)s (mark units that did not arrive as missing).",
                    line.quantity,
                ) % {
                    "n": line.quantity,
                    "sku": line.sku,
                }
        if errors:
            raise InvalidInput(details=errors)
        # Units that still sit reserved (the handover was never recorded) leave stock first.
        order_lines_ship_out(
            order=order, line_ids=[line.order_line_id for line in lines.values()], actor=actor
        )
        booked = []
        for item, disposition, refund in sorted(plan, key=lambda p: p[0].line_id):
            line = lines[item.line_id]
            warehouse = _book_units(rma, line, item, disposition=disposition, actor=actor)
            Inspection.objects.create(
                line=line,
                quantity=item.quantity,
                grade=item.grade,
                disposition=disposition,
                refund=refund,
                warehouse=warehouse,
                note=clean_text(item.note, 255),
                inspected_by_id=_actor_id(actor),
            )
            booked.append(
                {
                    "sku": line.sku,
                    "quantity": item.quantity,
                    "grade": item.grade,
                    "disposition": disposition,
                    "refund": refund,
                }
            )
        _event(rma, kind=ReturnEventKind.INSPECTION, actor=actor, data={"items": booked})
        _move(rma, S.INSPECTED, actor=actor)
        return rma


# --- Refunds and exchanges ----------------------------------------------------------------------------------


def _next_credit_note_sequence(year: int) -> int:
    """The next credit note of the year without gaps, inside the issuing transaction (core/sequences.py)."""
    return next_in_sequence(CreditNoteCounter, key_field="year", key=year)


def credit_note_number(year: int, sequence: int) -> str:
    return f"CN{year}-{sequence:06d}"


def _credit_note_issue(
    rma: ReturnRequest, quote: selectors.Quote, *, total: Decimal, settlement: str, actor: Actor
) -> CreditNote:
    from orderloop.payments.selectors import bank_details

    order = rma.order
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = _next_credit_note_sequence(year)
    invoice = order.invoices.order_by("-id").first()
    return CreditNote.objects.create(
        number=credit_note_number(year, sequence),
        year=year,
        sequence=sequence,
        request=rma,
        order=order,
        order_number=order.number,
        return_number=rma.number,
        invoice_number=invoice.number if invoice else "",
        language=order.customer_language,
        issued_at=now,
        currency=order.currency,
        goods_amount=quote.quote.goods,
        delivery_amount=quote.quote.delivery,
        fee_amount=quote.quote.fee,
        deduction_amount=quote.quote.deduction,
        total_amount=total,
        settlement=settlement,
        lines=[
            {"sku": v.line.sku, "name": v.line.order_line.name, "quantity": v.units, "amount": str(v.amount)}
            for v in quote.lines
            if v.units
        ],
        customer={
            "name": order.customer_name,
            "email": order.customer_email,
            "phone": order.customer_phone,
            "address": [
                p
                for p in (
                    order.ship_line1,
                    order.ship_line2,
                    " ".join(x for x in (order.ship_postal_code, order.ship_city) if x),
                    order.ship_country,
                )
                if p
            ],
        },
        seller=bank_details(),
        issued_by_id=_actor_id(actor),
    )


def _record_settlement(rma: ReturnRequest, quote: selectors.Quote) -> None:
    for value in quote.lines:
        if value.units:
            ReturnLine.objects.filter(pk=value.line.pk).update(
                refunded_quantity=value.units, refunded_amount=value.amount
            )
    rma.goods_amount = quote.quote.goods
    rma.delivery_amount = quote.quote.delivery
    rma.fee_amount = quote.quote.fee
    rma.deduction_amount = quote.quote.deduction


def _deduction(value: object, currency: str) -> Decimal:
    try:
        amount = Money.of(value if value not in (None, "") else "0", currency).amount
    except MoneyError:
        raise InvalidInput(details={"deduction": _("Not a decimal amount.")}) from None
    if amount < 0:
        raise InvalidInput(details={"deduction": _("Must not be negative.")})
    return amount


def return_refund_request(
    *,
    rma_id: int,
    actor: Actor,
    deduction: object = "0",
    deduction_reason: str = "",
    bank_iban: str = "",
    bank_holder: str = "",
) -> ReturnRequest:
    """Step 1 of a refund (committed before Stripe is called): the amount (domain.refund_quote: paid
    units, delivery and return shipping per policy, less a deduction, never above what the order's
    payments still hold), the payments' refund rows (card first), the credit note, status
    `refund_pending`. The return becomes `refunded` (the customer's email, the order's status) only when
    the money moved: the provider confirmed the card refund, or staff the bank transfer
    (`return_bank_refund_confirm`) — payments tells us (`return_refunds_moved`). A refund by bank
    transfer (cash on delivery, transfers) goes to the IBAN and holder given here, or else to those the
    customer gave with the request."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_request

    with transaction.atomic():
        order, rma = _locked(rma_id)
        if not domain.can_move(rma.status, S.REFUND_PENDING):
            raise InvalidReturnTransition(
                details={
                    "from": rma.status,
                    "to": S.REFUND_PENDING,
                    "allowed": domain.allowed_next(rma.status),
                }
            )
        amount_off = _deduction(deduction, order.currency)
        reason = clean_text(deduction_reason, 255)
        if amount_off > 0 and not reason:
            raise InvalidInput(details={"deduction_reason": _("Say why the refund is reduced.")})
        quote = selectors.refund_quote(rma, deduction=amount_off)
        if amount_off > quote.quote.before_deduction:
            raise InvalidInput(details={"deduction": _("More than the refund.")})
        total = quote.quote.due
        if total <= 0:
            raise NothingToRefund(details={"goods": str(quote.quote.goods), "cap": str(quote.quote.cap)})
        rows = refund_request(
            order_id=order.pk, amount=total, reason=f"return {rma.number}", actor=actor, confirm=True
        )
        by_transfer = any(row.status == RefundStatus.PENDING for row in rows)
        if by_transfer and (bank_iban.strip() or bank_holder.strip() or not rma.bank_iban):
            errors: dict[str, str] = {}
            try:
                rma.bank_iban = domain.clean_iban(bank_iban)
            except ValueError:
                errors["bank_iban"] = _("Not a valid IBAN.")
            rma.bank_holder = clean_text(bank_holder, 200)
            if not rma.bank_holder:
                errors["bank_holder"] = _("This field is required.")
            if errors:
                raise BankDetailsRequired(details=errors)
        _record_settlement(rma, quote)
        rma.deduction_reason = reason
        rma.refund_amount = total
        rma.refund_ids = [row.pk for row in rows]
        _move(
            rma,
            S.REFUND_PENDING,
            actor=actor,
            reason=reason,
            data={"amount": str(total), "refunds": rma.refund_ids},
        )
        _credit_note_issue(rma, quote, total=total, settlement="refund", actor=actor)
        _event(
            rma,
            kind=ReturnEventKind.REFUND,
            actor=actor,
            data={
                "amount": str(total),
                "currency": order.currency,
                "by_transfer": by_transfer,
                **({"iban": domain.masked_iban(rma.bank_iban)} if by_transfer else {}),
            },
        )
        return rma


def return_refunds_moved(*, order_id: int, actor: Actor) -> list[ReturnRequest]:
    """A refund of the order changed status (the payments area calls this inside its transaction, the
    order row locked): each `refund_pending` return whose refunds have all reached the customer becomes
    `refunded`, the customer gets the "refunded" email, and the order follows its returns."""
    done: list[ReturnRequest] = []
    with transaction.atomic():
        waiting = ReturnRequest.objects.filter(order_id=order_id, status=S.REFUND_PENDING)
        for rma_id in waiting.order_by("id").values_list("id", flat=True):
            _order, rma = _locked(rma_id)
            if rma.status != S.REFUND_PENDING or not selectors.refunds_succeeded(rma):
                continue
            rma.refunded_at = timezone.now()
            _move(rma, S.REFUNDED, actor=actor, data={"amount": str(rma.refund_amount)})
            _message(rma, "refund_sent")
            done.append(rma)
        if done:
            _order_after_return(_lock_order(order_id), actor=actor)
    return done


def return_refund_send(*, rma_id: int) -> ReturnRequest:
    """Step 2: send the return's card refunds to the provider (outside any transaction; the payments
    area records each answer). Harmless to repeat."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_send

    rma = ReturnRequest.objects.filter(pk=rma_id).first()
    if rma is None:
        raise ReturnNotFound()
    for refund in selectors.refund_rows(rma):
        if refund.status == RefundStatus.PROCESSING and not refund.provider_reference:
            refund_send(refund_id=refund.pk)
    return ReturnRequest.objects.get(pk=rma_id)


def return_refund(
    *,
    rma_id: int,
    actor: Actor,
    deduction: object = "0",
    deduction_reason: str = "",
    bank_iban: str = "",
    bank_holder: str = "",
) -> ReturnRequest:
    """Refund a return: record it (one transaction), then send the card part to Stripe."""
    return_refund_request(
        rma_id=rma_id,
        actor=actor,
        deduction=deduction,
        deduction_reason=deduction_reason,
        bank_iban=bank_iban,
        bank_holder=bank_holder,
    )
    return return_refund_send(rma_id=rma_id)


def return_bank_refund_confirm(*, rma_id: int, actor: Actor, reference: str) -> ReturnRequest:
    """Staff made the bank transfer to the customer's IBAN: the return's waiting refunds are paid, all
    in one transaction; the return becomes `refunded` and the customer is told (`return_refunds_moved`)."""
    from orderloop.payments.models import RefundStatus
    from orderloop.payments.services import refund_confirm

    reference = clean_text(reference, 255)
    if not reference:
        raise InvalidInput(details={"reference": _("The transfer's reference is required.")})
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        pending = [r for r in selectors.refund_rows(rma) if r.status == RefundStatus.PENDING]
        if not pending:
            raise InvalidReturnTransition(details={"refunds": _("No refund awaits a bank transfer.")})
        _event(
            rma, kind=ReturnEventKind.REFUND, actor=actor, reason=reference, data={"bank_transfer": reference}
        )
        for refund in pending:
            refund_confirm(refund_id=refund.pk, actor=actor, reference=reference)
    return ReturnRequest.objects.select_related("order").get(pk=rma_id)


def return_set_bank_details(*, rma_id: int, actor: Actor, bank_iban: str, bank_holder: str) -> ReturnRequest:
    """Staff correct the account a refund by bank transfer goes to (the customer gave it with the request,
    or on the phone), until the refund has reached them. The event keeps only a masked IBAN."""
    iban, holder = _clean_bank_details(bank_iban, bank_holder, required=True)
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if rma.status not in domain.OPEN:
            raise InvalidReturnTransition(
                details={"status": rma.status, "bank_iban": _("The refund of this return is settled.")}
            )
        before = rma.bank_iban
        rma.bank_iban, rma.bank_holder = iban, holder
        rma.save(update_fields=["bank_iban", "bank_holder", "updated_at"])
        _event(
            rma,
            kind=ReturnEventKind.BANK_DETAILS,
            actor=actor,
            data={"iban": domain.masked_iban(iban), "before": domain.masked_iban(before) if before else ""},
        )
        return rma


def _clean_bank_details(bank_iban: str, bank_holder: str, *, required: bool) -> tuple[str, str]:
    """The IBAN (compact, checked with python-stdnum) and the account holder; ("", "") when neither was
    given and they are not required. Missing: 422 `bank_details_required`; an invalid IBAN: 422
    `bank_details_invalid` (details name the field)."""
    raw = clean_text(bank_iban, 64)
    holder = clean_text(bank_holder, 200)
    if not raw and not holder and not required:
        return "", ""
    missing: dict[str, str] = {}
    if not raw:
        missing["bank_iban"] = _("Enter the IBAN of the account the refund should go to.")
    if not holder:
        missing["bank_holder"] = _("Enter the name of the account holder.")
    if missing:
        raise BankDetailsRequired(details=missing)
    try:
        return domain.clean_iban(raw), holder
    except ValueError:
        raise BankDetailsInvalid(details={"bank_iban": _("Not a valid IBAN.")}) from None


@dataclass(frozen=True)
class ExchangeItem:
    sku: str
    quantity: int


def return_exchange(*, rma_id: int, items: Sequence[ExchangeItem], actor: Actor) -> ReturnRequest:
    """Exchange (one transaction), then send a leftover card refund to Stripe."""
    rma = return_exchange_request(rma_id=rma_id, items=items, actor=actor)
    return return_refund_send(rma_id=rma.pk) if rma.refund_ids else rma


def return_exchange_request(*, rma_id: int, items: Sequence[ExchangeItem], actor: Actor) -> ReturnRequest:
    """Settle an inspected return with a replacement order (e.g. the other size): placed like any order
    (channel of the original order, external reference the RMA number), so it reserves stock — or is
    refused as a whole (409 insufficient_stock) with nothing written. The returned units' value pays the
    replacement (a payment recorded on it); what is left over is refunded, what the replacement costs
    beyond it is due on the replacement order."""
    from orderloop.catalog.models import Variant
    from orderloop.payments.services import payment_record_transfer, refund_request

    if not items:
        raise InvalidInput(details={"items": _("Choose at least one replacement item.")})
    skus = [item.sku.strip() for item in items]
    with transaction.atomic():
        # The lock order of orders/locks.py: the replacement's stock rows before any order row.
        order_locks.stock_rows_for_allocation(
            Variant.objects.filter(sku__in=skus).values_list("id", flat=True)
        )
        order, rma = _locked(rma_id)
        if not domain.can_move(rma.status, S.EXCHANGED):
            raise InvalidReturnTransition(
                details={"from": rma.status, "to": S.EXCHANGED, "allowed": domain.allowed_next(rma.status)}
            )
        quote = selectors.refund_quote(rma)
        value = quote.quote.due
        terms = domain.PolicyTerms.from_json(rma.policy)
        replacement = order_place(
            channel=order.channel,
            external_ref=rma.number,
            customer=CustomerData(
                name=order.customer_name,
                phone=order.customer_phone,
                email=order.customer_email,
                language=order.customer_language,
            ),
            shipping_address=AddressData(
                country=order.ship_country,
                city=order.ship_city,
                postal_code=order.ship_postal_code,
                line1=order.ship_line1,
                line2=order.ship_line2,
                region=order.ship_region,
            ),
            delivery_method_code=order.delivery_method.code,
            payment_method_code=order.payment_method.code,
            lines=[
                LineData(
                    sku=sku,
                    quantity=item.quantity,
                    note=_("Exchange for %(number)s") % {"number": rma.number},
                )
                for sku, item in zip(skus, items, strict=True)
            ],
            comment=_("Replacement for return %(number)s") % {"number": rma.number},
            free_delivery=domain.exchange_delivery_free(
                terms=terms, reasons=[line.reason for line in rma.lines.all()], method=rma.method
            ),
            actor=actor,
        )
        split = domain.exchange_split(value=value, replacement_total=replacement.total_amount)
        if split.credit > 0:
            payment_record_transfer(
                order_id=replacement.pk,
                amount=str(split.credit),
                reference=f"exchange {rma.number}",
                actor=actor,
            )
        rows = (
            refund_request(
                order_id=order.pk,
                amount=str(split.refund),
                reason=f"return {rma.number} (exchange)",
                actor=actor,
                confirm=True,
            )
            if split.refund > 0
            else []
        )
        _record_settlement(rma, quote)
        rma.refund_amount = split.refund
        rma.refund_ids = [row.pk for row in rows]
        rma.exchange_order = replacement
        rma.refunded_at = timezone.now()
        _move(
            rma,
            S.EXCHANGED,
            actor=actor,
            data={
                "order": replacement.number,
                "credit": str(split.credit),
                "refund": str(split.refund),
                "due": str(split.due),
            },
        )
        if value > 0:
            _credit_note_issue(rma, quote, total=value, settlement="exchange", actor=actor)
        _message(rma, "exchange_created")
        _order_after_return(order, actor=actor)
        return rma


# --- The refund SLA ------------------------------------------------------------------------------------


@dataclass
class SlaReport:
    overdue: list[str] = field(default_factory=list)
    notified: int = 0


def _sla_recipients(order: Order) -> list[Any]:
    manager = order.manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(
        get_user_model().objects.filter(groups__name=roles.MANAGER, is_active=True).order_by("id").distinct()
    )


def return_mark_refund_overdue(*, rma_id: int, now: datetime) -> int | None:
    """Flag one return whose refund is overdue (re-checked under the lock) and notify the order's manager
    or every Manager, once. Returns the notifications written, or None when there was nothing to do."""
    from orderloop.notifications.services import notify_staff

    with transaction.atomic():
        order, rma = _locked(rma_id)
        if rma.refund_overdue_at is not None:
            return None
        if not domain.refund_overdue(
            due_at=rma.refund_due_at, now=now, refunded=selectors.refund_completed(rma)
        ):
            return None
        if rma.status in {S.REJECTED, S.CLOSED}:
            return None
        rma.refund_overdue_at = now
        rma.save(update_fields=["refund_overdue_at", "updated_at"])
        _event(
            rma,
            kind=ReturnEventKind.SLA_OVERDUE,
            actor=None,
            data={"due": rma.refund_due_at.isoformat() if rma.refund_due_at else ""},
        )
        created = notify_staff(
            recipients=_sla_recipients(order),
            kind=SLA_NOTIFICATION_KIND,
            message=SLA_MESSAGE,
            params={
                "number": rma.number,
                "order": order.number,
                "due": timezone.localtime(rma.refund_due_at).strftime("%Y-%m-%d %H:%M")
                if rma.refund_due_at
                else "",
            },
            order=order,
            key=f"return-sla:{rma.pk}",
        )
        return len(created)


def returns_check_refund_sla(*, now: datetime | None = None) -> SlaReport:
    """Flag every return whose refund is past due and not completed (each in its own transaction).
    Safe to run twice or concurrently."""
    from orderloop.payments.models import Refund, RefundStatus

    now = now or timezone.now()
    report = SlaReport()
    due = ReturnRequest.objects.filter(refund_overdue_at__isnull=True, refund_due_at__lt=now)
    # Not refunded yet; or refunded, but a refund of it is still waiting, processing or failed (its
    # payments refund row names the return: "return R1001-1").
    waiting = (
        Refund.objects.filter(
            status__in=[RefundStatus.PENDING, RefundStatus.PROCESSING, RefundStatus.FAILED],
            reason__startswith="return ",
        )
        .values_list("reason", flat=True)
        .distinct()
    )
    numbers = {reason.split()[1] for reason in waiting if len(reason.split()) > 1}
    unrefunded = (
        due.filter(status__in=[S.RECEIVED, S.INSPECTED, S.REFUND_PENDING])
        .order_by("id")
        .values_list("id", flat=True)
    )
    unpaid = (
        due.filter(status__in=selectors.SETTLED, number__in=numbers)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for rma_id in sorted({*unrefunded[:BATCH], *unpaid[:BATCH]}):
        notified = return_mark_refund_overdue(rma_id=rma_id, now=now)
        if notified is not None:
            report.overdue.append(ReturnRequest.objects.values_list("number", flat=True).get(pk=rma_id))
            report.notified += notified
    return report
