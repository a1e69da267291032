"""Purchase orders: drafts, sending, cancelling and closing short."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money
from orderloop.core.sequences import next_in_sequence
from orderloop.core.text import at_most_characters, clean_text
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.inventory.services import stock_incoming_change

from .. import domain, selectors
from ..errors import (
    InvalidPurchaseOrderTransition,
    NoSupplierPrice,
    PurchaseOrderEmpty,
    PurchaseOrderNotEditable,
    SupplierInactive,
)
from ..models import (
    PurchaseOrder,
    PurchaseOrderCounter,
    PurchaseOrderEventKind,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
    SupplierMessage,
)
from ._common import (
    COUNTER_NAME,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_TEXT,
    Actor,
    S,
    _currency,
    _locked,
    _move,
    _price,
    _timeline,
    _variant,
)
from .supplier_messages import _queue_email

# --- Purchase orders: drafts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: object = None  # None: the supplier's price list


def _next_number() -> str:
    """The next purchase order number without gaps, inside the creating transaction (core/sequences.py)."""
    return f"PO-{next_in_sequence(PurchaseOrderCounter, key_field='name', key=COUNTER_NAME):05d}"


def _line_values(
    *, supplier: Supplier, currency: str, line: LineInput, index: int, prefix: str = "lines"
) -> dict[str, Any]:
    """Checked values of one line (raises InvalidInput naming `<prefix>.<index>.<field>`)."""
    variant = _variant(line.sku, field_name=f"{prefix}.{index}.sku")
    if isinstance(line.quantity, bool) or not 1 <= line.quantity <= MAX_QUANTITY:
        raise InvalidInput(
            details={
                f"{prefix}.{index}.quantity": _("Use a whole number from %(low)s to %(high)s.")
                % {"low": 1, "high": MAX_QUANTITY}
            }
        )
    item = selectors.supplier_item_for(supplier=supplier, variant_id=variant.pk, currency=currency)
    if line.unit_price is None or line.unit_price == "":
        if item is None:
            raise NoSupplierPrice(
                details={
                    f"{prefix}.{index}.unit_price": _("No price from this supplier in %(currency)s.")
                    % {"currency": currency}
                }
            )
        price = item.price_amount
    else:
        price = _price(line.unit_price, currency, field_name=f"{prefix}.{index}.unit_price")
    return {
        "variant": variant,
        "sku": variant.sku,
        "supplier_sku": item.supplier_sku if item else "",
        "name": variant.product.name[:200],
        "quantity_ordered": line.quantity,
        "unit_price_amount": price,
    }


def _recompute_total(po: PurchaseOrder) -> None:
    total = sum((line.unit_price_amount * line.quantity_ordered for line in po.lines.all()), Decimal("0"))
    po.total_amount = Money.of(total, po.currency).amount
    PurchaseOrder.objects.filter(pk=po.pk).update(total_amount=po.total_amount, updated_at=timezone.now())


def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence[LineInput],
    currency: str | None = None,
    expected_date: date | None = None,
    note: str = "",
    actor: Actor,
    reason: str = "",
) -> PurchaseOrder:
    """A draft purchase order. Lines take the supplier's price in the order's currency unless a unit
    price is given; the same SKU twice is summed into one line. All or nothing."""
    if not supplier.is_active:
        raise SupplierInactive(details={"supplier": supplier.code})
    if not warehouse.is_active:
        raise InvalidInput(details={"warehouse": _("This warehouse is not active.")})
    code = _currency(currency or supplier.currency)
    if not lines:
        raise PurchaseOrderEmpty()
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            details={
                "lines": ngettext("At most %(n)s line.", "At most %(n)s lines.", MAX_LINES) % {"n": MAX_LINES}
            }
        )
    if len(note) > MAX_TEXT:
        raise InvalidInput(details={"note": at_most_characters(MAX_TEXT)})
    merged: dict[int, dict[str, Any]] = {}
    for index, line in enumerate(lines):
        values = _line_values(supplier=supplier, currency=code, line=line, index=index)
        if values["variant"].pk in merged:
            merged[values["variant"].pk]["quantity_ordered"] += values["quantity_ordered"]
        else:
            merged[values["variant"].pk] = values
    with transaction.atomic():
        now = timezone.now()
        po = PurchaseOrder.objects.create(
            number=_next_number(),
            supplier=supplier,
            warehouse=warehouse,
            currency=code,
            status=S.DRAFT,
            status_changed_at=now,
            expected_date=expected_date,
            note=clean_text(note, MAX_TEXT),
            created_by_id=_actor_id(actor),
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(purchase_order=po, position=i + 1, **values)
                for i, values in enumerate(merged.values())
            ]
        )
        _recompute_total(po)
        _timeline(
            po,
            kind=PurchaseOrderEventKind.CREATED,
            actor=actor,
            to_status=S.DRAFT,
            reason=reason,
            data={"lines": [{"sku": v["sku"], "quantity": v["quantity_ordered"]} for v in merged.values()]},
        )
        events.record(
            "purchase_order.created",
            po.pk,
            {
                "number": po.number,
                "status": po.status,
                "supplier": supplier.code,
                "warehouse": warehouse.code,
                "currency": po.currency,
                "total": events.money(po.total_amount, po.currency),
                "expected_date": expected_date.isoformat() if expected_date else None,
                "reason": clean_text(reason, 255),
                "lines": [
                    {
                        "sku": v["sku"],
                        "quantity": v["quantity_ordered"],
                        "unit_price": events.money(v["unit_price_amount"], po.currency),
                    }
                    for v in merged.values()
                ],
            },
            actor=actor,
            sequence=1,  # a new purchase order's first event
        )
        return po


def purchase_order_line_set(
    *, po_id: int, sku: str, quantity: int, unit_price: object = None, actor: Actor
) -> PurchaseOrder:
    """In a draft: set a line's quantity (0 removes it; a new SKU adds a line) and optionally its price."""
    if isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            details={
                "quantity": _("Use a whole number from %(low)s to %(high)s.")
                % {"low": 0, "high": MAX_QUANTITY}
            }
        )
    with transaction.atomic():
        po = _locked(po_id)
        if po.status not in domain.EDITABLE:
            raise PurchaseOrderNotEditable(details={"status": po.status})
        variant = _variant(sku)
        line = po.lines.filter(variant=variant).first()
        before = line.quantity_ordered if line else 0
        if quantity == 0:
            if line is not None:
                if po.lines.count() == 1:
                    raise PurchaseOrderEmpty(
                        _("A purchase order keeps one line at least; cancel it instead.")
                    )
                line.delete()
        else:
            values = _line_values(
                supplier=po.supplier,
                currency=po.currency,
                line=LineInput(sku=variant.sku, quantity=quantity, unit_price=unit_price),
                index=0,
            )
            if line is None:
                last = po.lines.order_by("-position").values_list("position", flat=True).first() or 0
                if po.lines.count() >= MAX_LINES:
                    raise InvalidInput(
                        details={
                            "lines": ngettext("At most %(n)s line.", "At most %(n)s lines.", MAX_LINES)
                            % {"n": MAX_LINES}
                        }
                    )
                PurchaseOrderLine.objects.create(purchase_order=po, position=last + 1, **values)
            else:
                line.quantity_ordered = quantity
                if unit_price not in (None, ""):
                    line.unit_price_amount = values["unit_price_amount"]
                line.save(update_fields=["quantity_ordered", "unit_price_amount"])
        _recompute_total(po)
        _timeline(
            po,
            kind=PurchaseOrderEventKind.EDITED,
            actor=actor,
            data={"sku": variant.sku, "from": before, "to": quantity},
        )
        return po


def purchase_order_update(
    *, po_id: int, actor: Actor, expected_date: date | None = None, note: str | None = None
) -> PurchaseOrder:
    """Change the expected delivery date (any open order: the supplier told us) or the note (drafts)."""
    with transaction.atomic():
        po = _locked(po_id)
        changes: dict[str, Any] = {}
        if expected_date is not None:
            if po.status not in domain.EDITABLE | domain.OPEN:
                raise PurchaseOrderNotEditable(details={"status": po.status})
            changes["expected_date"] = {
                "from": po.expected_date.isoformat() if po.expected_date else None,
                "to": expected_date.isoformat(),
            }
            po.expected_date = expected_date
        if note is not None:
            if po.status not in domain.EDITABLE:
                raise PurchaseOrderNotEditable(details={"status": po.status})
            if len(note) > MAX_TEXT:
                raise InvalidInput(details={"note": at_most_characters(MAX_TEXT)})
            po.note = clean_text(note, MAX_TEXT)
            changes["note"] = True
        if changes:
            po.save(update_fields=["expected_date", "note", "updated_at"])
            _timeline(po, kind=PurchaseOrderEventKind.EDITED, actor=actor, data=changes)
        return po


# --- Purchase orders: status ---------------------------------------------------------------------------


def _incoming(po: PurchaseOrder, *, sign: int) -> None:
    """Announce (+1) or withdraw (−1) what the order still brings, in ascending stock-row order."""
    lines = list(po.lines.select_related("variant"))
    rows = dict(
        StockLevel.objects.filter(
            warehouse=po.warehouse, variant__in=[line.variant for line in lines]
        ).values_list("variant_id", "pk")
    )
    for line in sorted(lines, key=lambda line: (rows.get(line.variant_id, math.inf), line.pk)):
        if line.remaining:
            stock_incoming_change(variant=line.variant, warehouse=po.warehouse, delta=sign * line.remaining)


def _lead_time(po: PurchaseOrder) -> int:
    """The longest lead time among the lines (price-list rows, else the supplier's)."""
    variant_ids = list(po.lines.values_list("variant_id", flat=True))
    items = SupplierItem.objects.filter(
        supplier=po.supplier, currency=po.currency, variant_id__in=variant_ids
    )
    times = [item.lead_time_days for item in items if item.lead_time_days is not None]
    return max([po.supplier.lead_time_days, *times])


def purchase_order_send(*, po_id: int, actor: Actor, expected_date: date | None = None) -> PurchaseOrder:
    """Send a draft: its units become `incoming`, the expected date is set (today + the longest lead
    time unless given or already set), and the PDF is e-mailed to the supplier by a task enqueued in
    this transaction. A supplier without an email address gets nothing by mail (print the PDF)."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status == S.DRAFT and not po.lines.exists():
            raise PurchaseOrderEmpty()
        if po.status == S.DRAFT and not po.supplier.is_active:
            raise SupplierInactive(details={"supplier": po.supplier.code})
        if expected_date is not None:
            po.expected_date = expected_date
        elif po.expected_date is None:
            po.expected_date = timezone.localdate() + timedelta(days=_lead_time(po))
        _move(po, S.SENT, actor=actor, data={"expected_date": po.expected_date.isoformat()})
        _incoming(po, sign=+1)
        event = po.events.order_by("-id").first()
        assert event is not None
        _queue_email(po, event=event, actor=actor)
        return po


def purchase_order_email(*, po_id: int, actor: Actor) -> SupplierMessage:
    """E-mail an order that was sent again (the supplier lost it, or the address was fixed)."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status == S.DRAFT or po.status == S.CANCELLED:
            raise InvalidPurchaseOrderTransition(
                _("Only a sent purchase order can be e-mailed."), details={"status": po.status}
            )
        if not po.supplier.email:
            raise InvalidInput(details={"email": _("The supplier has no email address.")})
        event = _timeline(po, kind=PurchaseOrderEventKind.EDITED, actor=actor, reason="email_again")
        message = _queue_email(po, event=event, actor=actor)
        assert message is not None
        return message


def _shortfalls(po: PurchaseOrder) -> list[dict[str, Any]]:
    return domain.shortfalls(
        [
            (line.sku, domain.LineCounts(line.quantity_ordered, line.quantity_received))
            for line in po.lines.all()
        ]
    )


def purchase_order_cancel(*, po_id: int, actor: Actor, reason: str) -> PurchaseOrder:
    """Call the order off (draft, sent or partially received): what was still to come stops being
    `incoming`; what already arrived stays in stock. A reason is required."""
    if not (reason or "").strip():
        raise InvalidInput(details={"reason": _("A reason is required to cancel a purchase order.")})
    with transaction.atomic():
        po = _locked(po_id)
        was_open = po.status in domain.OPEN
        shortfalls = _shortfalls(po) if was_open else []
        _move(po, S.CANCELLED, actor=actor, reason=reason, data={"short": shortfalls} if was_open else {})
        if was_open:
            _incoming(po, sign=-1)
        return po


def purchase_order_close(*, po_id: int, actor: Actor, reason: str = "") -> PurchaseOrder:
    """Accept a short delivery: a partially received order becomes received, the missing units are
    recorded as under-delivered (event data `short`) and stop being `incoming`."""
    with transaction.atomic():
        po = _locked(po_id)
        if po.status != S.PARTIALLY_RECEIVED:
            raise InvalidPurchaseOrderTransition(
                _("Only a partially received purchase order can be closed short."),
                details={"from": po.status, "to": S.RECEIVED},
            )
        shortfalls = _shortfalls(po)
        _move(po, S.RECEIVED, actor=actor, reason=reason or "closed_short", data={"short": shortfalls})
        _incoming(po, sign=-1)
        return po
