"""Packing: parcels opened, scan-verified, packed in a box and weighed, cancelled or reopened."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import Warehouse
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, OrderLine
from orderloop.orders.services import order_transition

from .. import domain, locks, selectors
from ..errors import (
    BoxSizeNotFound,
    NothingToPack,
    OrderNotInWarehouse,
    ParcelEmpty,
    ParcelNotFound,
    ParcelNotOpen,
    ParcelTooHeavy,
)
from ..models import (
    MISPICK_OUTCOMES,
    BoxSize,
    EventKind,
    Parcel,
    ParcelLine,
    ParcelStatus,
    ScanOutcome,
    ScanRecord,
    ScanStage,
)
from .common import MAX_WEIGHT_G, Actor, S, _event, _move, _parcel_facts
from .settling import _settle_order


def _locked_order(order_id: int) -> Order:
    order = order_locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


def _locked_parcel(parcel_id: int) -> tuple[Order, Parcel]:
    """Lock the parcel's order first, then the parcel (fulfillment/locks.py)."""
    order_id = Parcel.objects.filter(pk=parcel_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ParcelNotFound()
    order = _locked_order(order_id)
    parcel = locks.parcel_for_update(parcel_id)
    if parcel is None:
        raise ParcelNotFound()
    return order, parcel


def parcel_open(*, order_id: int, warehouse_code: str, actor: Actor) -> Parcel:
    """The parcel being packed for this order in this warehouse: the open one, or a new one (with the
    suggested box) when something picked here waits to be packed. NothingToPack (409) otherwise."""
    with transaction.atomic():
        order = _locked_order(order_id)
        warehouse = Warehouse.objects.filter(code__iexact=(warehouse_code or "").strip()).first()
        if warehouse is None:
            raise InvalidInput(details={"warehouse": _("No warehouse has this code.")})
        if order.status != S.PICKING:
            raise OrderNotInWarehouse(details={"status": order.status})
        existing = Parcel.objects.filter(order=order, warehouse=warehouse, status=ParcelStatus.OPEN).first()
        if existing is not None:
            return existing
        view = selectors.packing_view(order=order, warehouse=warehouse)
        if view.units_to_pack <= 0:
            raise NothingToPack(details={"order": order.number, "warehouse": warehouse.code})
        sequence = (Parcel.objects.filter(order=order).aggregate(n=Max("sequence"))["n"] or 0) + 1
        parcel = Parcel.objects.create(
            order=order,
            warehouse=warehouse,
            sequence=sequence,
            status=ParcelStatus.OPEN,
            status_changed_at=timezone.now(),
            suggested_box=view.suggested_box,
            created_by_id=_actor_id(actor),
        )
        _event(
            EventKind.STATUS_CHANGE,
            actor=actor,
            parcel=parcel,
            order_id=order.pk,
            to_status=ParcelStatus.OPEN,
            reason="opened",
            data={"suggested_box": view.suggested_box.code if view.suggested_box else None},
        )
        events.record(
            "parcel.opened",
            parcel.pk,
            {
                **_parcel_facts(parcel),
                "status": ParcelStatus.OPEN,
                "suggested_box": view.suggested_box.code if view.suggested_box else None,
            },
            actor=actor,
            sequence=1,
        )
        return parcel


@dataclass
class PackScanResult:
    accepted: bool
    outcome: str
    code: str
    parcel: Parcel
    sku: str = ""
    line_position: int | None = None
    expected: list[str] = field(default_factory=list)  # SKUs still to pack (for a refusal's message)

    @property
    def is_mispick(self) -> bool:
        return self.outcome in MISPICK_OUTCOMES


def parcel_scan(*, parcel_id: int, code: str, actor: Actor) -> PackScanResult:
    """Scan one unit into the open parcel. A product of the order picked here and not yet packed is
    accepted (one unit onto the first line that still needs it); a wrong item is refused and recorded
    as a mis-pick (with an event); one too many (an over-scan) and a code of no product are refused and
    recorded, not as mis-picks.
    Two packers scanning the last unit at once: the order row lock lets one of them have it."""
    text = domain.normalize_code(code)
    if not text:
        raise InvalidInput(details={"code": _("Scan a product.")})
    with transaction.atomic():
        order, parcel = _locked_parcel(parcel_id)
        if parcel.status != ParcelStatus.OPEN:
            raise ParcelNotOpen(details={"parcel": parcel.number, "status": parcel.status})
        variant = selectors.variant_for_code(text)
        lines = list(OrderLine.objects.filter(order=order).order_by("position"))
        units = selectors.line_units(order=order, warehouse=parcel.warehouse)
        remaining: dict[int, int] = defaultdict(int)
        for line in lines:
            remaining[line.variant_id] += max(units[line.pk]["picked"] - units[line.pk]["packed"], 0)
        outcome = domain.pack_scan_outcome(
            variant_id=variant.pk if variant else None,
            ordered=[line.variant_id for line in lines],
            remaining=remaining,
        )
        result = PackScanResult(
            accepted=outcome == ScanOutcome.ACCEPTED,
            outcome=outcome,
            code=text,
            parcel=parcel,
            sku=variant.sku if variant else "",
            expected=[line.sku for line in lines if units[line.pk]["picked"] > units[line.pk]["packed"]],
        )
        ScanRecord.objects.create(
            stage=ScanStage.PACK,
            outcome=outcome,
            code=text,
            variant=variant,
            order=order,
            parcel=parcel,
            warehouse=parcel.warehouse,
            quantity=1 if result.accepted else 0,
            actor_id=_actor_id(actor),
        )
        if result.accepted:
            assert variant is not None
            line = next(
                line
                for line in lines
                if line.variant_id == variant.pk and units[line.pk]["picked"] > units[line.pk]["packed"]
            )
            if not ParcelLine.objects.filter(parcel=parcel, line=line).update(quantity=F("quantity") + 1):
                ParcelLine.objects.create(parcel=parcel, line=line, quantity=1)
            result.line_position = line.position
        elif result.is_mispick:
            _event(
                EventKind.MISPICK,
                actor=actor,
                parcel=parcel,
                order_id=order.pk,
                reason=outcome,
                data={"code": text, "sku": result.sku},
            )
            events.record(
                "parcel.mispicked",
                parcel.pk,
                {**_parcel_facts(parcel), "code": text, "sku": result.sku, "outcome": outcome},
                actor=actor,
            )
        return result


def parcel_pack(*, parcel_id: int, box_code: str, weight_g: int, actor: Actor) -> Parcel:
    """Close the open parcel: the box actually used and the weight on the scale are recorded, the
    parcel is `packed` (shipping takes it from here). When every unit of the order is in a packed
    parcel the order moves to `packed`; when the rest is backordered and nothing else can be done
    now, to `awaiting_stock` (the rest follows later)."""
    errors: dict[str, str] = {}
    if isinstance(weight_g, bool) or not isinstance(weight_g, int) or not 1 <= weight_g <= MAX_WEIGHT_G:
        errors["weight_g"] = _("Weigh the parcel: grams, between 1 and %(n)s.") % {"n": MAX_WEIGHT_G}
    box = BoxSize.objects.filter(code=(box_code or "").strip(), is_active=True).first()
    if box is None:
        errors["box"] = str(BoxSizeNotFound.default_message)
    if errors:
        raise InvalidInput(details=errors)
    assert box is not None
    with transaction.atomic():
        order, parcel = _locked_parcel(parcel_id)
        if parcel.status != ParcelStatus.OPEN:
            raise ParcelNotOpen(details={"parcel": parcel.number, "status": parcel.status})
        if not parcel.lines.exists():
            raise ParcelEmpty(details={"parcel": parcel.number})
        if box.max_weight_g and weight_g > box.max_weight_g:
            raise ParcelTooHeavy(
                details={"weight_g": weight_g, "box": box.code, "max_weight_g": box.max_weight_g}
            )
        parcel.box = box
        parcel.weight_g = weight_g
        parcel.packed_by_id = _actor_id(actor)
        parcel.packed_at = timezone.now()
        lines = list(parcel.lines.order_by("id").values_list("line__sku", "quantity"))
        _move(
            parcel,
            ParcelStatus.PACKED,
            actor=actor,
            fields=["box", "weight_g", "packed_by", "packed_at"],
            data={
                "box": box.code,
                "suggested_box": parcel.suggested_box.code if parcel.suggested_box else None,
                "weight_g": weight_g,
                "lines": lines,
            },
            event_data={
                "box": box.code,
                "suggested_box": parcel.suggested_box.code if parcel.suggested_box else None,
                "weight_g": weight_g,
                "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            },
        )
        _settle_order(order.pk, actor=actor)
        return parcel


def parcel_cancel(*, parcel_id: int, actor: Actor, reason: str = "") -> Parcel:
    """Put an open parcel aside: its items go back to the tote and are scanned into another parcel."""
    with transaction.atomic():
        _order, parcel = _locked_parcel(parcel_id)
        _move(parcel, ParcelStatus.CANCELLED, actor=actor, reason=reason)
        return parcel


def parcel_reopen(*, parcel_id: int, actor: Actor, reason: str = "") -> Parcel:
    """Open a packed parcel again (wrong box, an item to add); a packed order goes back to picking."""
    with transaction.atomic():
        order, parcel = _locked_parcel(parcel_id)
        if Parcel.objects.filter(order=order, warehouse=parcel.warehouse, status=ParcelStatus.OPEN).exists():
            raise ParcelNotOpen(
                _("Another parcel of this order is open; pack it first."), details={"parcel": parcel.number}
            )
        _move(parcel, ParcelStatus.OPEN, actor=actor, reason=reason, event_type="parcel.reopened")
        if order.status == S.PACKED:
            order_transition(order_id=order.pk, to=S.PICKING, actor=actor, reason="parcel_reopened")
        return parcel
