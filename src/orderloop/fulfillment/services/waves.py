"""Releasing a wave: ready orders of a warehouse become totes, pick lists and pick tasks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import StockLevel, Warehouse
from orderloop.orders import locks as order_locks
from orderloop.orders.bulk import orders_transition
from orderloop.orders.models import DeliveryMethod, Order

from .. import domain, locks, selectors
from ..errors import NothingToPick
from ..models import EventKind, PickList, PickListStatus, PickMethod, PickTask, Tote, Wave, WaveStatus
from .common import MAX_BATCH_SIZE, MAX_WAVE_ORDERS, Actor, S, _event, _setting, _wave_facts


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
        units_of: dict[int, int] = defaultdict(int)
        for pick_list, planned in zip(pick_lists, plan.pick_lists, strict=True):
            units_of[pick_list.pk] = sum(item.quantity for item in planned.items)
        order_numbers_of = dict(Order.objects.filter(pk__in=list(plan.totes)).values_list("id", "number"))
        events.record_many(
            [
                events.NewEvent(
                    type="wave.released",
                    subject_id=wave.pk,
                    sequence=1,
                    actor=actor,
                    data={
                        **_wave_facts(wave),
                        "method": method,
                        "orders": [order_numbers_of[order_id] for order_id in plan.totes],
                        "pick_lists": [pick_list.code for pick_list in pick_lists],
                        "units": sum(item.quantity for item in items),
                        "delivery_methods": codes,
                        "placed_before": placed_before.isoformat() if placed_before else None,
                    },
                ),
                *(
                    events.NewEvent(
                        type="pick_list.created",
                        subject_id=pick_list.pk,
                        sequence=1,
                        actor=actor,
                        data={
                            "code": pick_list.code,
                            "wave": wave.number,
                            "warehouse": warehouse.code,
                            "status": PickListStatus.OPEN,
                            "batch": pick_list.batch,
                            "zone": pick_list.zone,
                            "units": units_of[pick_list.pk],
                        },
                    )
                    for pick_list in pick_lists
                ),
            ]
        )
        return wave
