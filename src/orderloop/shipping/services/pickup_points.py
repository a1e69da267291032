"""Pickup points imported from the carriers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..adapters import adapter_for
from ..errors import CarrierNotFound
from ..models import Carrier, PickupPoint
from .common import Actor


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0


def pickup_points_import(
    *, carrier_code: str, country: str, city: str = "", postal_code: str = "", actor: Actor = None
) -> ImportResult:
    """Fetch the carrier's points (outside any transaction) and upsert them by the carrier's id. A full
    import (no city, no postal code) deactivates the points the carrier no longer lists."""
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None:
        raise CarrierNotFound()
    points = adapter_for(carrier.adapter).pickup_points(
        country=country.upper(), city=city.strip(), postal_code=postal_code.strip()
    )
    result = ImportResult()
    now = timezone.now()
    with transaction.atomic():
        existing = {p.external_id: p for p in PickupPoint.objects.select_for_update().filter(carrier=carrier)}
        seen = set()
        for data in points:
            seen.add(data.external_id)
            values = {
                "number": data.number[:20],
                "name": data.name[:200] or data.external_id,
                "address": data.address[:255],
                "city": data.city[:100],
                "postal_code": data.postal_code[:20],
                "country": (data.country or country)[:2].upper(),
                "opening_hours": data.opening_hours[:255],
                "data": dict(data.data),
                "is_active": True,
                "imported_at": now,
            }
            row = existing.get(data.external_id)
            if row is None:
                PickupPoint.objects.create(carrier=carrier, external_id=data.external_id, **values)
                result.created += 1
            else:
                PickupPoint.objects.filter(pk=row.pk).update(**values)
                result.updated += 1
        if not city and not postal_code:
            stale = [
                p.pk
                for key, p in existing.items()
                if key not in seen and p.is_active and p.country == country.upper()
            ]
            result.deactivated = PickupPoint.objects.filter(pk__in=stale).update(is_active=False)
    return result
