"""Receiving: a delivery counted in against a purchase order."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.text import clean_text
from orderloop.inventory.models import StockLevel
from orderloop.inventory.services import stock_receive
from orderloop.orders import backorders

from .. import domain, selectors
from ..errors import (
    NotOnPurchaseOrder,
    PurchaseOrderNotReceivable,
)
from ..models import (
    PurchaseOrderEventKind,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
)
from ._common import MAX_QUANTITY, Actor, _locked, _move, _timeline

# --- Receiving -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptInput:
    """One counted item: by purchase order line id, or by a code (SKU, barcode or the supplier's SKU)."""

    quantity: int
    line_id: int | None = None
    code: str = ""


def _resolve(lines: list[PurchaseOrderLine], item: ReceiptInput, index: int) -> PurchaseOrderLine:
    if item.line_id is not None:
        for line in lines:
            if line.pk == item.line_id:
                return line
        raise NotOnPurchaseOrder(details={f"lines.{index}.line_id": _("Not a line of this purchase order.")})
    code = clean_text(item.code, 64)
    found = selectors.line_for_code(lines, code)
    if found is not None:
        return found
    raise NotOnPurchaseOrder(
        details={f"lines.{index}.code": _("%(code)s is not on this purchase order.") % {"code": code or "—"}}
    )


def receipt_create(
    *,
    po_id: int,
    lines: Sequence[ReceiptInput],
    actor: Actor,
    note: str = "",
    client_key: str = "",
) -> Receipt:
    """Count a delivery in: on_hand grows (a RECEIPT ledger row per item), `incoming` shrinks by what
    was announced, over-deliveries are recorded per line, the order becomes partially received or
    received, and the received stock is allocated to backordered order lines (express first, then the
    oldest: orders.backorders.backorders_allocate), whose orders move on. One transaction.

    The same `client_key` twice (a double-clicked form, an API retry) returns the first receipt.
    Raises PurchaseOrderNotReceivable (409) for drafts and closed orders, NotOnPurchaseOrder (422) for
    an item the order does not have, InvalidInput (422) for quantities.
    """
    client_key = clean_text(client_key, 64)
    note = clean_text(note, 500)
    counted: dict[int, int] = defaultdict(int)
    for index, item in enumerate(lines):
        if isinstance(item.quantity, bool) or not 0 <= item.quantity <= MAX_QUANTITY:
            raise InvalidInput(
                details={
                    f"lines.{index}.quantity": _("Use a whole number from %(low)s to %(high)s.")
                    % {"low": 0, "high": MAX_QUANTITY}
                }
            )
    with transaction.atomic():
        po = _locked(po_id)
        if client_key:
            existing = Receipt.objects.filter(purchase_order=po, client_key=client_key).first()
            if existing is not None:
                return existing
        if po.status not in domain.RECEIVABLE:
            raise PurchaseOrderNotReceivable(details={"status": po.status})
        po_lines = list(po.lines.select_related("variant").order_by("position"))
        for index, item in enumerate(lines):
            line = _resolve(po_lines, item, index)
            counted[line.pk] += item.quantity
        counted = defaultdict(int, {line_id: qty for line_id, qty in counted.items() if qty > 0})
        if not counted:
            raise InvalidInput(
                details={"lines": _("Nothing was counted: scan the items or type their quantities.")}
            )
        by_id = {line.pk: line for line in po_lines}
        variant_ids = [by_id[line_id].variant_id for line_id in counted]

        backorders.backorders_lock(variant_ids=variant_ids)  # orders before stock rows
        receipt = Receipt.objects.create(
            purchase_order=po, client_key=client_key, note=note, received_by_id=_actor_id(actor)
        )
        stock_ids = dict(
            StockLevel.objects.filter(warehouse=po.warehouse, variant_id__in=variant_ids).values_list(
                "variant_id", "pk"
            )
        )
        received: list[dict[str, Any]] = []
        for line_id in sorted(counted, key=lambda pk: (stock_ids.get(by_id[pk].variant_id, math.inf), pk)):
            line = by_id[line_id]
            quantity = counted[line_id]
            effect = domain.receipt_effect(
                ordered=line.quantity_ordered, received_before=line.quantity_received, quantity=quantity
            )
            stock_receive(
                variant=line.variant,
                warehouse=po.warehouse,
                quantity=quantity,
                incoming_cleared=effect.incoming_cleared,
                actor=actor,
                reference=f"PO {po.number}",
                note=note,
            )
            PurchaseOrderLine.objects.filter(pk=line.pk).update(
                quantity_received=F("quantity_received") + quantity
            )
            line.quantity_received += quantity
            ReceiptLine.objects.create(
                receipt=receipt, line=line, quantity=quantity, over_quantity=effect.over
            )
            received.append({"sku": line.sku, "quantity": quantity, "over": effect.over})
        _timeline(
            po,
            kind=PurchaseOrderEventKind.RECEIPT,
            actor=actor,
            reason=note,
            data={"receipt": receipt.pk, "lines": received},
        )
        status = domain.status_after_receipt(
            [domain.LineCounts(line.quantity_ordered, line.quantity_received) for line in po_lines]
        )
        if status != po.status:
            _move(po, status, actor=actor, reason="goods_received", data={"receipt": receipt.pk})
        result = backorders.backorders_allocate(
            variant_ids=variant_ids, warehouse_id=po.warehouse_id, actor=actor, reference=po.number
        )
        if result.served:
            receipt.allocations = [item.as_json() for item in result.served]
            receipt.save(update_fields=["allocations"])
        return receipt
