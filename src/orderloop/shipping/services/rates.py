"""Prices and expected dates of every service for a packed parcel."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orderloop.core.errors import DomainError, InvalidInput
from orderloop.fulfillment.models import Parcel

from ..adapters import adapter_for
from ..adapters.base import Rate
from ..models import CarrierService, Shipment
from .booking import _cod_due, _parcel_value, pickup_point_for, shipment_request


@dataclass
class ServiceRate:
    service: CarrierService
    rate: Rate | None
    error: str = ""


def parcel_rates(*, parcel_id: int) -> list[ServiceRate]:
    """Price and expected date of every active service for this packed parcel (carriers asked outside
    any transaction; one that fails is reported with its error). Writes nothing."""
    parcel = Parcel.objects.select_related("order", "warehouse", "box").filter(pk=parcel_id).first()
    if parcel is None:
        raise InvalidInput(details={"parcel": _("No parcel has this number.")})
    order = parcel.order
    results = []
    for service in CarrierService.objects.select_related("carrier").filter(
        is_active=True, carrier__is_active=True
    ):
        draft = Shipment(
            pk=0,
            order=order,
            parcel=parcel,
            warehouse=parcel.warehouse,
            carrier=service.carrier,
            service=service,
            pickup_point=pickup_point_for(order, service) if service.needs_pickup_point else None,
            weight_g=parcel.weight_g or 1,
            currency=order.currency,
            cod_amount=_cod_due(order),
            declared_value=_parcel_value(parcel),
        )
        try:
            rates = adapter_for(service.carrier.adapter).rates(shipment_request(draft))
            results.append(ServiceRate(service=service, rate=rates[0] if rates else None))
        except DomainError as exc:
            results.append(ServiceRate(service=service, rate=None, error=exc.message))
    return results
