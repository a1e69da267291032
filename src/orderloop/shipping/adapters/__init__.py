"""Carrier adapters, one module each behind adapters/base.CarrierAdapter."""

from __future__ import annotations

from ..models import AdapterKind
from .base import CarrierAdapter
from .local import OwnCourierCarrier, StorePickupCarrier
from .nova_poshta import NovaPoshtaCarrier
from .postnord import PostNordCarrier


def adapter_for(kind: str) -> CarrierAdapter:
    if kind == AdapterKind.NOVA_POSHTA:
        return NovaPoshtaCarrier()
    if kind == AdapterKind.POSTNORD:
        return PostNordCarrier()
    if kind == AdapterKind.STORE_PICKUP:
        return StorePickupCarrier()
    return OwnCourierCarrier()
