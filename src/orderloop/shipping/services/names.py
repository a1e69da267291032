"""Names of carriers and their services, per language (the back office's names page)."""

from __future__ import annotations

from django.db import transaction

from orderloop.core.i18n import names_validated

from ..errors import CarrierNotFound
from ..models import Carrier, CarrierService
from .common import Actor

NAME_MAX = 120


def carrier_rename(*, code: str, name: str, name_translations: object, actor: Actor) -> Carrier:
    """Set a carrier's English name and its names in the other languages (empty: English)."""
    clean_name, translations = names_validated(name, name_translations, max_length=NAME_MAX)
    with transaction.atomic():
        carrier = Carrier.objects.select_for_update().filter(code=code).first()
        if carrier is None:
            raise CarrierNotFound(details={"carrier": code})
        carrier.name, carrier.name_translations = clean_name, translations
        carrier.save(update_fields=["name", "name_translations"])
        return carrier


def carrier_service_rename(
    *, carrier_code: str, code: str, name: str, name_translations: object, actor: Actor
) -> CarrierService:
    """Set a carrier service's English name and its names in the other languages (empty: English)."""
    clean_name, translations = names_validated(name, name_translations, max_length=NAME_MAX)
    with transaction.atomic():
        service = (
            CarrierService.objects.select_for_update(of=("self",))
            .filter(carrier__code=carrier_code, code=code)
            .select_related("carrier")
            .first()
        )
        if service is None:
            raise CarrierNotFound(details={"service": f"{carrier_code}.{code}"})
        service.name, service.name_translations = clean_name, translations
        service.save(update_fields=["name", "name_translations"])
        return service
