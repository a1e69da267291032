"""Named `select_for_update` reads of fulfilment rows. Lock order, everywhere: the warehouse (wave
release) → order rows (ascending id, orders/locks.py) → the pick list or parcel → the wave → stock rows
(ascending id, through the orders and inventory services). Nobody takes them the other way round."""

from __future__ import annotations

from django.db.models import QuerySet

from orderloop.inventory.models import Warehouse

from .models import Parcel, PickList, Wave


def warehouse_for_update(warehouse_id: int) -> Warehouse | None:
    """Serializes wave releases of one warehouse: the second sees the first's pick tasks."""
    return Warehouse.objects.select_for_update().filter(pk=warehouse_id).first()


def pick_list_for_update(pick_list_id: int) -> PickList | None:
    return (
        PickList.objects.select_for_update(of=("self",))
        .select_related("wave")
        .filter(pk=pick_list_id)
        .first()
    )


def parcel_for_update(parcel_id: int) -> Parcel | None:
    return (
        Parcel.objects.select_for_update(of=("self",))
        .select_related("order", "warehouse")
        .filter(pk=parcel_id)
        .first()
    )


def waves_for_update(wave_ids: set[int]) -> QuerySet[Wave]:
    return Wave.objects.select_for_update().filter(pk__in=wave_ids).order_by("id")
