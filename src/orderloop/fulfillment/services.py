"""Every write of the fulfilment area: releasing waves, picking (scan-confirmed, short picks), packing
(scan-verified, parcels, boxes). Each service is one transaction; locks follow fulfillment/locks.py.

The order's status moves only through `orders.services.order_transition` (ready → picking when a wave
takes it, picking → packed when every unit is in a packed parcel, picking → awaiting_stock when the
rest must wait for stock); reservations move only through the orders area (orders/shortpick.py) and
the inventory services, each with its ledger row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.orders import locks as order_locks
from orderloop.orders import shortpick
from orderloop.orders.bulk import orders_transition
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import DeliveryMethod, LineAllocation, Order, OrderLine, OrderStatus
from orderloop.orders.services import order_transition

from . import domain, locks, selectors
from .errors import (
    BoxSizeNotFound,
    InvalidParcelTransition,
    NothingToPack,
    NothingToPick,
    OrderNotInWarehouse,
    ParcelEmpty,
    ParcelNotFound,
    ParcelNotOpen,
    ParcelTooHeavy,
    PickListDone,
    PickListNotFound,
    PickListTaken,
    PickRowNotFound,
)
from .models import (
    MISPICK_OUTCOMES,
    BoxSize,
    EventKind,
    FulfilmentEvent,
    Parcel,
    ParcelLine,
    ParcelStatus,
    PickList,
    PickListStatus,
    PickMethod,
    PickTask,
    ScanOutcome,
    ScanRecord,
    ScanStage,
    Tote,
    Wave,
    WaveStatus,
)

Actor = AbstractBaseUser | AnonymousUser | None
S = OrderStatus

MAX_WAVE_ORDERS = 5000
MAX_BATCH_SIZE = 100
MAX_WEIGHT_G = 1_000_000


def _setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


def _event(
    kind: str,
    *,
    actor: Actor,
    wave: Wave | None = None,
    pick_list: PickList | None = None,
    parcel: Parcel | None = None,
    order_id: int | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> FulfilmentEvent:
    return FulfilmentEvent.objects.create(
        kind=kind,
        wave=wave,
        pick_list=pick_list,
        parcel=parcel,
        order_id=order_id,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=(reason or "")[:255],
        data=data or {},
    )


def _move(
    table: dict[str, frozenset[str]],
    row: Wave | PickList | Parcel,
    to: str,
    *,
    actor: Actor,
    reason: str = "",
    fields: Sequence[str] = (),
    data: dict[str, Any] | None = None,
) -> None:
    """Move a locked wave, pick list or parcel along its table and append the event."""
    current = row.status
    if not domain.can_move(table, current, to):
        if isinstance(row, Parcel):
            raise InvalidParcelTransition(details={"from": current, "to": to})
        raise InvalidInput(
            details={"status": _("%(current)s → %(to)s is not allowed.") % {"current": current, "to": to}}
        )
    row.status = to
    update = ["status", *fields]
    if hasattr(row, "status_changed_at"):
        row.status_changed_at = timezone.now()
        update.append("status_changed_at")
    row.save(update_fields=update)
    _event(
        EventKind.STATUS_CHANGE,
        actor=actor,
        wave=row if isinstance(row, Wave) else None,
        pick_list=row if isinstance(row, PickList) else None,
        parcel=row if isinstance(row, Parcel) else None,
        order_id=row.order_id if isinstance(row, Parcel) else None,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )


# --- Releasing a wave ----------------------------------------------------------------------------------


def _wave_input(
    *,
    warehouse_code: str,
    method: str,
    max_orders: int | None,
    batch_size: int | None,
    delivery_method_codes: Sequence[str],
) -> tuple[Warehouse, int, int]:
    errors: dict[str, str] = {}
    if method not in PickMethod.values:
        errors["method"] = _("Choose one of: %(methods)s.") % {"methods": ", ".join(PickMethod.values)}
    if batch_size is None:
        batch_size = 1 if method == PickMethod.SINGLE else int(_setting("FULFILLMENT_BATCH_SIZE", 8))
    if isinstance(batch_size, bool) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        errors["batch_size"] = _("Must be between 1 and %(n)s.") % {"n": MAX_BATCH_SIZE}
    if max_orders is None:
        max_orders = int(_setting("FULFILLMENT_WAVE_MAX_ORDERS", 200))
    if isinstance(max_orders, bool) or not 1 <= max_orders <= MAX_WAVE_ORDERS:
        errors["max_orders"] = _("Must be between 1 and %(n)s.") % {"n": MAX_WAVE_ORDERS}
    warehouse = Warehouse.objects.filter(code__iexact=(warehouse_code or "").strip(), is_active=True).first()
    if warehouse is None:
        errors["warehouse"] = _("No active warehouse has this code.")
    known = set(
        DeliveryMethod.objects.filter(code__in=list(delivery_method_codes)).values_list("code", flat=True)
    )
    unknown = [code for code in delivery_method_codes if code not in known]
    if unknown:
        errors["delivery_methods"] = _("Unknown delivery method: %(codes)s.") % {"codes": ", ".join(unknown)}
    if errors:
        raise InvalidInput(details=errors)
    assert warehouse is not None
    return warehouse, max_orders, (1 if method == PickMethod.SINGLE else batch_size)


def wave_release(
    *,
    warehouse_code: str,
    method: str,
    actor: Actor,
    max_orders: int | None = None,
    batch_size: int | None = None,
    delivery_method_codes: Sequence[str] = (),
    placed_before: datetime | None = None,
    order_numbers: Sequence[str] = (),
) -> Wave:
    """Release the first `max_orders` ready orders of the warehouse's queue (optionally only these
    delivery methods / carriers, only orders placed before a cut-off, or only the orders named) as a
    wave: each order gets a tote, the units become pick tasks on pick lists in route order (per
    `method`, see domain.plan_wave), and every order moves to `picking`.

    Raises InvalidInput (422) for bad input, NothingToPick (409) when no order is ready. Two releases
    at once queue on the warehouse row; the second only sees what the first left.
    """
    codes = [code.strip() for code in delivery_method_codes if code and code.strip()]
    warehouse, max_orders, batch_size = _wave_input(
        warehouse_code=warehouse_code,
        method=method,
        max_orders=max_orders,
        batch_size=batch_size,
        delivery_method_codes=codes,
    )
    numbers = [number.strip() for number in order_numbers if number and number.strip()]
    with transaction.atomic():
        locks.warehouse_for_update(warehouse.pk)

        ready = selectors.ready_orders(
            warehouse=warehouse, delivery_method_codes=codes, placed_before=placed_before
        )
        if numbers:
            ready = ready.filter(number__in=numbers)
        candidates = list(ready.values_list("id", flat=True)[:max_orders])
        if not candidates:
            raise NothingToPick(details={"warehouse": warehouse.code})
        statuses = dict(order_locks.orders_for_update().filter(pk__in=candidates).values_list("id", "status"))
        # Under the order locks: drop any order that changed meanwhile (held, cancelled, another delivery
        # method). What is left to pick is read below, after the locks (edits lock the order too).
        recheck = selectors.may_be_picked().filter(pk__in=candidates)
        if codes:
            recheck = recheck.filter(delivery_method__code__in=codes)
        still = set(recheck.values_list("id", flat=True))
        order_ids = [order_id for order_id in candidates if order_id in still]
        items = selectors.pick_items(order_ids=order_ids, warehouse=warehouse)
        plan = domain.plan_wave(method=method, order_ids=order_ids, items=items, batch_size=batch_size)
        if not plan.totes:
            raise NothingToPick(details={"warehouse": warehouse.code})

        now = timezone.now()
        wave = Wave.objects.create(
            warehouse=warehouse,
            method=method,
            status=WaveStatus.RELEASED,
            status_changed_at=now,
            batch_size=batch_size if method != PickMethod.ZONE else len(plan.totes),
            delivery_methods=codes,
            cutoff_at=placed_before,
            order_count=len(plan.totes),
            created_by_id=_actor_id(actor),
        )
        # The orders' status changes, one locking statement for all of them (orders/bulk.py: the same
        # checks and event per order as order_transition).
        orders_transition(
            order_ids=[order_id for order_id in plan.totes if statuses[order_id] != S.PICKING],
            to=S.PICKING,
            actor=actor,
            reason=f"wave {wave.number}",
        )
        try:
            with transaction.atomic():
                totes = Tote.objects.bulk_create(
                    [
                        Tote(
                            wave=wave,
                            order_id=order_id,
                            warehouse=warehouse,
                            batch=batch,
                            slot=slot,
                            code=f"T{wave.pk}-{batch}-{slot}",
                        )
                        for order_id, (batch, slot) in plan.totes.items()
                    ]
                )
        except IntegrityError as exc:  # an order got an open tote here meanwhile (the unique guard)
            raise NothingToPick(
                _("These orders are already being picked."), details={"warehouse": warehouse.code}
            ) from exc
        tote_of = {tote.order_id: tote for tote in totes}
        pick_lists = PickList.objects.bulk_create(
            [
                PickList(
                    wave=wave,
                    sequence=index,
                    code=f"P{wave.pk}-{index}",
                    batch=planned.batch,
                    zone=planned.zone,
                )
                for index, planned in enumerate(plan.pick_lists, start=1)
            ]
        )
        bins = dict(
            StockLevel.objects.filter(pk__in={item.stock_id for item in items}).values_list("id", "bin_id")
        )
        PickTask.objects.bulk_create(
            [
                PickTask(
                    pick_list=pick_list,
                    tote=tote_of[item.order_id],
                    line_id=item.line_id,
                    variant_id=item.variant_id,
                    stock_id=item.stock_id,
                    bin_id=bins.get(item.stock_id),
                    bin_code=item.bin_code,
                    zone=item.zone,
                    route_position=position,
                    quantity=item.quantity,
                )
                for pick_list, planned in zip(pick_lists, plan.pick_lists, strict=True)
                for position, item in enumerate(planned.items, start=1)
            ],
            batch_size=1000,
        )
        _event(
            EventKind.STATUS_CHANGE,
            actor=actor,
            wave=wave,
            to_status=WaveStatus.RELEASED,
            reason="released",
            data={
                "method": method,
                "orders": len(plan.totes),
                "pick_lists": len(pick_lists),
                "units": sum(item.quantity for item in items),
                "delivery_methods": codes,
                "placed_before": placed_before.isoformat() if placed_before else None,
            },
        )
        return wave


# --- Picking -------------------------------------------------------------------------------------------


def _locked_pick_list(pick_list_id: int) -> PickList:
    pick_list = locks.pick_list_for_update(pick_list_id)
    if pick_list is None:
        raise PickListNotFound()
    return pick_list


def _may_pick(pick_list: PickList, actor: Actor) -> None:
    if pick_list.status == PickListStatus.DONE:
        raise PickListDone(details={"pick_list": pick_list.code})
    actor_id = _actor_id(actor)
    if pick_list.picker_id is not None and actor_id is not None and pick_list.picker_id != actor_id:
        picker = pick_list.picker.get_username() if pick_list.picker else None
        raise PickListTaken(details={"pick_list": pick_list.code, "picker": picker})


def pick_list_claim(*, pick_list_id: int, actor: Actor) -> PickList:
    """Take a pick list (the handheld shows it as mine). A list another picker holds is refused (409)."""
    with transaction.atomic():
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        if pick_list.picker_id is None and _actor_id(actor) is not None:
            pick_list.picker_id = _actor_id(actor)
            pick_list.save(update_fields=["picker"])
            _event(EventKind.CLAIMED, actor=actor, pick_list=pick_list, wave=pick_list.wave)
        return pick_list


def _still_to_pick(tasks: Any) -> Any:
    """Tasks with units left to pick, of orders still going out (a cancelled order's are dropped)."""
    return tasks.filter(quantity__gt=F("quantity_picked") + F("quantity_short")).exclude(
        tote__order__status=S.CANCELLED
    )


def _open_tasks(pick_list: PickList, *, stock_id: int | None = None) -> list[PickTask]:
    queryset = (
        _still_to_pick(PickTask.objects.filter(pick_list=pick_list))
        .select_related("variant", "tote__order")
        .order_by("route_position", "tote__batch", "tote__slot", "id")
    )
    if stock_id is not None:
        queryset = queryset.filter(stock_id=stock_id)
    return list(queryset)


def _rows(tasks: list[PickTask]) -> list[list[PickTask]]:
    """Open tasks grouped per bin row (consecutive tasks of one stock row), in route order."""
    rows: list[list[PickTask]] = []
    for task in tasks:
        if rows and rows[-1][0].stock_id == task.stock_id:
            rows[-1].append(task)
        else:
            rows.append([task])
    return rows


def _after_picking(pick_list: PickList, *, actor: Actor, picked_now: bool) -> None:
    """Advance the pick list and its wave after picks or shorts were recorded."""
    wave = locks.waves_for_update({pick_list.wave_id}).get()
    now = timezone.now()
    if picked_now and pick_list.status == PickListStatus.OPEN:
        pick_list.started_at = now
        _move(
            domain.PICK_LIST_TRANSITIONS,
            pick_list,
            PickListStatus.IN_PROGRESS,
            actor=actor,
            fields=["started_at"],
        )
    if picked_now and wave.status == WaveStatus.RELEASED:
        _move(domain.WAVE_TRANSITIONS, wave, WaveStatus.PICKING, actor=actor)
    if not _still_to_pick(PickTask.objects.filter(pick_list=pick_list)).exists():
        pick_list.finished_at = now
        _move(
            domain.PICK_LIST_TRANSITIONS, pick_list, PickListStatus.DONE, actor=actor, fields=["finished_at"]
        )
        if (
            not wave.pick_lists.exclude(status=PickListStatus.DONE).exists()
            and wave.status != WaveStatus.PICKED
        ):
            _move(domain.WAVE_TRANSITIONS, wave, WaveStatus.PICKED, actor=actor)
    _maybe_close_wave(wave, actor=actor)


@dataclass
class PickScanResult:
    accepted: bool
    outcome: str
    code: str
    pick_list: PickList
    units: int = 0
    sku: str = ""
    bin_code: str = ""
    # (tote code, order number, units) the picked units go into
    totes: list[tuple[str, str, int]] = field(default_factory=list)


def pick_confirm(
    *, pick_list_id: int, code: str, actor: Actor, quantity: int | None = None, stock_id: int | None = None
) -> PickScanResult:
    """Confirm a pick by scanning the bin's code or the product's barcode (or SKU). The scan confirms
    the first open row of the list it matches (the current one, normally); `quantity` defaults to
    everything the row still asks for. The units are sorted into the totes in queue order
    (domain.sort_into_totes). A code that matches no open row is refused (`accepted=False`) and the
    refusal is recorded; nothing else changes."""
    text = domain.normalize_code(code)
    if not text:
        raise InvalidInput(details={"code": _("Scan a bin or a product.")})
    with transaction.atomic():
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        rows = _rows(_open_tasks(pick_list, stock_id=stock_id))
        row = next(
            (
                tasks
                for tasks in rows
                if domain.code_matches(
                    text, tasks[0].bin_code, tasks[0].variant.barcode, tasks[0].variant.sku
                )
            ),
            None,
        )
        warehouse_id = pick_list.wave.warehouse_id
        if row is None:
            if stock_id is not None and not rows:
                raise PickRowNotFound(details={"stock_id": stock_id})
            variant = selectors.variant_for_code(text)
            refused = ScanOutcome.UNKNOWN_CODE if variant is None else ScanOutcome.WRONG_ITEM
            ScanRecord.objects.create(
                stage=ScanStage.PICK,
                outcome=refused,
                code=text,
                variant=variant,
                pick_list=pick_list,
                warehouse_id=warehouse_id,
                quantity=0,
                actor_id=_actor_id(actor),
            )
            return PickScanResult(accepted=False, outcome=refused, code=text, pick_list=pick_list)
        remaining = sum(task.remaining for task in row)
        units = remaining if quantity is None else quantity
        if isinstance(units, bool) or not 1 <= units <= remaining:
            raise InvalidInput(details={"quantity": _("Must be between 1 and %(n)s.") % {"n": remaining}})
        if pick_list.picker_id is None and _actor_id(actor) is not None:
            pick_list.picker_id = _actor_id(actor)
            pick_list.save(update_fields=["picker"])
        now = timezone.now()
        result = PickScanResult(
            accepted=True,
            outcome=ScanOutcome.ACCEPTED,
            code=text,
            pick_list=pick_list,
            units=units,
            sku=row[0].variant.sku,
            bin_code=row[0].bin_code,
        )
        for task, take in domain.sort_into_totes(units, [(task, task.remaining) for task in row]):
            if not take:
                continue
            assert isinstance(task, PickTask)
            PickTask.objects.filter(pk=task.pk).update(
                quantity_picked=F("quantity_picked") + take, picked_by_id=_actor_id(actor), picked_at=now
            )
            result.totes.append((task.tote.code, task.tote.order.number, take))
        ScanRecord.objects.create(
            stage=ScanStage.PICK,
            outcome=ScanOutcome.ACCEPTED,
            code=text,
            variant=row[0].variant,
            pick_list=pick_list,
            warehouse_id=warehouse_id,
            quantity=units,
            actor_id=_actor_id(actor),
        )
        _after_picking(pick_list, actor=actor, picked_now=True)
        return result


@dataclass
class ShortPickResult:
    pick_list: PickList
    found: int
    short: int
    reallocated: list[tuple[str, int]] = field(default_factory=list)  # (warehouse code, units)
    backordered: int = 0


def pick_short(
    *, pick_list_id: int, stock_id: int, found: int, actor: Actor, reason: str = "not_found"
) -> ShortPickResult:
    """Record a short pick on a row: `found` units were there (they are picked, for the first orders
    in the queue), the rest was not. The missing units are written off the bin and re-allocated to
    another warehouse, or backordered (orders/shortpick.py, with an event on each order); the short
    pick is on the list's timeline. An order left with nothing to pick or pack here and units
    backordered waits for stock (`awaiting_stock`); what was packed already ships (partial)."""
    if isinstance(found, bool) or found < 0:
        raise InvalidInput(details={"found": _("Must be zero or more.")})
    preview = PickList.objects.filter(pk=pick_list_id).first()
    if preview is None:
        raise PickListNotFound()
    order_ids = sorted(
        set(
            PickTask.objects.filter(pick_list_id=pick_list_id, stock_id=stock_id).values_list(
                "tote__order_id", flat=True
            )
        )
    )
    with transaction.atomic():
        list(order_locks.orders_for_update().filter(pk__in=order_ids).values_list("id", flat=True))
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        tasks = _open_tasks(pick_list, stock_id=stock_id)
        if not tasks:
            raise PickRowNotFound(details={"stock_id": stock_id})
        remaining = sum(task.remaining for task in tasks)
        if found >= remaining:
            raise InvalidInput(
                details={
                    "found": _("Less than %(n)s; confirm the pick when everything is there.")
                    % {"n": remaining}
                }
            )
        now = timezone.now()
        result = ShortPickResult(pick_list=pick_list, found=found, short=remaining - found)
        reallocated: dict[str, int] = defaultdict(int)
        for task, take in domain.sort_into_totes(found, [(task, task.remaining) for task in tasks]):
            assert isinstance(task, PickTask)
            missing = task.remaining - take
            PickTask.objects.filter(pk=task.pk).update(
                quantity_picked=F("quantity_picked") + take,
                quantity_short=F("quantity_short") + missing,
                picked_by_id=_actor_id(actor),
                picked_at=now,
            )
            if not missing:
                continue
            outcome = shortpick.line_short_pick(
                order_id=task.tote.order_id,
                line_id=task.line_id,
                stock_id=task.stock_id,
                quantity=missing,
                actor=actor,
                bin_code=task.bin_code,
                reason=reason,
            )
            for code, _stock, units in outcome.reallocated:
                reallocated[code] += units
            result.backordered += outcome.backordered
            _event(
                EventKind.SHORT_PICK,
                actor=actor,
                wave=pick_list.wave,
                pick_list=pick_list,
                order_id=task.tote.order_id,
                reason=reason,
                data={
                    "sku": task.variant.sku,
                    "bin": task.bin_code,
                    "tote": task.tote.code,
                    "short": missing,
                    "reallocated": [{"warehouse": c, "quantity": u} for c, _s, u in outcome.reallocated],
                    "backordered": outcome.backordered,
                },
            )
        result.reallocated = sorted(reallocated.items())
        _after_picking(pick_list, actor=actor, picked_now=found > 0)
        for order_id in order_ids:
            _settle_order(order_id, actor=actor)
        return result


# --- Settling an order after picking or packing ----------------------------------------------------------


def _maybe_close_wave(wave: Wave, *, actor: Actor) -> None:
    # A cancelled order's tote does not hold the wave open (its units go back to the shelf).
    if (
        wave.status == WaveStatus.PICKED
        and not wave.totes.filter(is_open=True).exclude(order__status=S.CANCELLED).exists()
    ):
        _move(domain.WAVE_TRANSITIONS, wave, WaveStatus.CLOSED, actor=actor)


def _settle_order(order_id: int, *, actor: Actor) -> None:
    """After picks, shorts or packing (the order row locked): close the totes with nothing left to
    pick or pack; move the order to `packed` when every unit is in a packed parcel, or to
    `awaiting_stock` when nothing is left to do now and the rest is backordered."""
    order = Order.objects.get(pk=order_id)
    if order.status != S.PICKING:
        return
    lines = list(OrderLine.objects.filter(order=order).values_list("id", "quantity", "quantity_backordered"))
    packed: dict[int, int] = defaultdict(int)
    for line_id, quantity in ParcelLine.objects.filter(
        parcel__order=order, parcel__status=ParcelStatus.PACKED
    ).values_list("line_id", "quantity"):
        packed[line_id] += quantity
    pending_warehouses: set[int] = set()
    for tote in Tote.objects.filter(order=order, is_open=True).select_related("warehouse"):
        units = selectors.line_units(order=order, warehouse=tote.warehouse)
        if any(
            # Units reserved here but on no pick list yet do not keep the tote open: a later wave takes them.
            counts["open_tasks"] or counts["picked"] > counts["packed"] or counts["open"]
            for counts in units.values()
        ):
            pending_warehouses.add(tote.warehouse_id)
        else:
            Tote.objects.filter(pk=tote.pk).update(is_open=False)
            wave = locks.waves_for_update({tote.wave_id}).get()
            _maybe_close_wave(wave, actor=actor)
    if all(packed[line_id] >= quantity for line_id, quantity, _b in lines):
        order_transition(order_id=order.pk, to=S.PACKED, actor=actor, reason="all_parcels_packed")
        return
    if pending_warehouses or Parcel.objects.filter(order=order, status=ParcelStatus.OPEN).exists():
        return
    # Nothing on a tote; anything reserved but not yet on a pick list (e.g. re-allocated to another
    # warehouse) waits for that warehouse's next wave.
    allocated = LineAllocation.objects.filter(line__order=order).aggregate(n=Sum("quantity"))["n"] or 0
    picked_total = PickTask.objects.filter(line__order=order).aggregate(n=Sum("quantity_picked"))["n"] or 0
    if allocated > picked_total:
        return
    if any(backordered for _id, _q, backordered in lines):
        order_transition(
            order_id=order.pk,
            to=S.AWAITING_STOCK,
            actor=actor,
            reason="partially_fulfilled" if packed else "short_pick",
        )


# --- Packing ---------------------------------------------------------------------------------------------


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
        _move(
            domain.PARCEL_TRANSITIONS,
            parcel,
            ParcelStatus.PACKED,
            actor=actor,
            fields=["box", "weight_g", "packed_by", "packed_at"],
            data={
                "box": box.code,
                "suggested_box": parcel.suggested_box.code if parcel.suggested_box else None,
                "weight_g": weight_g,
                "lines": list(parcel.lines.values_list("line__sku", "quantity")),
            },
        )
        _settle_order(order.pk, actor=actor)
        return parcel


def parcel_cancel(*, parcel_id: int, actor: Actor, reason: str = "") -> Parcel:
    """Put an open parcel aside: its items go back to the tote and are scanned into another parcel."""
    with transaction.atomic():
        _order, parcel = _locked_parcel(parcel_id)
        _move(domain.PARCEL_TRANSITIONS, parcel, ParcelStatus.CANCELLED, actor=actor, reason=reason)
        return parcel


def parcel_reopen(*, parcel_id: int, actor: Actor, reason: str = "") -> Parcel:
    """Open a packed parcel again (wrong box, an item to add); a packed order goes back to picking."""
    with transaction.atomic():
        order, parcel = _locked_parcel(parcel_id)
        if Parcel.objects.filter(order=order, warehouse=parcel.warehouse, status=ParcelStatus.OPEN).exists():
            raise ParcelNotOpen(
                _("Another parcel of this order is open; pack it first."), details={"parcel": parcel.number}
            )
        _move(domain.PARCEL_TRANSITIONS, parcel, ParcelStatus.OPEN, actor=actor, reason=reason)
        if order.status == S.PACKED:
            order_transition(order_id=order.pk, to=S.PICKING, actor=actor, reason="parcel_reopened")
        return parcel
