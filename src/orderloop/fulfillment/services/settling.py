"""Settling an order after picking or packing: totes closed, waves closed, the order packed or waiting
for stock."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from orderloop.orders.models import LineAllocation, Order, OrderLine
from orderloop.orders.services import order_transition

from .. import locks, selectors
from ..models import Parcel, ParcelLine, ParcelStatus, PickTask, Tote, Wave, WaveStatus
from .common import Actor, S, _move


def _maybe_close_wave(wave: Wave, *, actor: Actor) -> None:
    # A cancelled order's tote does not hold the wave open (its units go back to the shelf).
    if (
        wave.status == WaveStatus.PICKED
        and not wave.totes.filter(is_open=True).exclude(order__status=S.CANCELLED).exists()
    ):
        _move(wave, WaveStatus.CLOSED, actor=actor)


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
