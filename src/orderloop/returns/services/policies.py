"""Return policies per country (window, conditions, who pays the return, refund deadline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError
from orderloop.core.text import clean_text
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..models import ReturnPolicy
from .common import MAX_NOTE, ZERO


@dataclass(frozen=True)
class PolicyInput:
    country: str
    window_days: int
    conditions: Sequence[str] = ("unused", "original_packaging")
    non_returnable_categories: Sequence[str] = ()  # category slugs
    return_shipping_paid_by: str = "shop"
    return_shipping_fee: str = "0"
    refund_delivery: str = "full_return"
    methods: Sequence[str] = domain.CUSTOMER_METHODS
    refund_due_days: int = 14
    auto_approve: bool = True
    notes: dict[str, str] = field(default_factory=dict)


def policy_save(*, data: PolicyInput, actor: Actor) -> ReturnPolicy:
    """Create or replace the policy of a country (`country` "" or "*": the shop's default). Refuses a
    window below the country's legal minimum (the default policy: the strictest minimum configured)."""
    from orderloop.catalog.models import Category
    from orderloop.inventory.selectors import country_codes

    country = clean_text(data.country, 2).upper() if data.country.strip() not in ("", "*") else ""
    errors: dict[str, str] = {}
    if country and country not in country_codes():
        errors["country"] = _("Use a two-letter ISO 3166 country code, e.g. UA or SE.")
    minimums = selectors.legal_minimums()
    minimum = (
        domain.legal_minimum(country, minimums)
        if country
        else max([domain.legal_minimum("", minimums), *minimums.values()])
    )
    try:
        fee = Money.of(
            data.return_shipping_fee or "0", settings.ORDERLOOP.get("DEFAULT_CURRENCY", "UAH")
        ).amount
    except MoneyError:
        errors["return_shipping_fee"] = _("Not a decimal amount.")
        fee = ZERO
    errors.update(
        domain.policy_errors(
            window_days=int(data.window_days),
            minimum=minimum,
            refund_due_days=int(data.refund_due_days),
            conditions=list(data.conditions),
            methods=list(data.methods),
            fee=fee,
            shipping_paid_by=data.return_shipping_paid_by,
            refund_delivery=data.refund_delivery,
        )
    )
    categories = list(Category.objects.filter(slug__in=list(data.non_returnable_categories)))
    missing = set(data.non_returnable_categories) - {c.slug for c in categories}
    if missing:
        errors["non_returnable_categories"] = _("Unknown category: %(slug)s.") % {"slug": sorted(missing)[0]}
    languages = {code for code, _name in settings.LANGUAGES}
    if any(lang not in languages for lang in data.notes):
        errors["notes"] = _("Not a language this shop speaks.")
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        policy, _created = ReturnPolicy.objects.select_for_update().get_or_create(
            country=country,
            defaults={"window_days": int(data.window_days)},
        )
        policy.window_days = int(data.window_days)
        policy.conditions = list(dict.fromkeys(data.conditions))
        policy.return_shipping_paid_by = data.return_shipping_paid_by
        policy.return_shipping_fee = fee
        policy.refund_delivery = data.refund_delivery
        policy.methods = list(dict.fromkeys(data.methods))
        policy.refund_due_days = int(data.refund_due_days)
        policy.auto_approve = bool(data.auto_approve)
        policy.notes_translations = {k: clean_text(v, MAX_NOTE) for k, v in data.notes.items() if v.strip()}
        policy.save()
        policy.non_returnable_categories.set(categories)
        return policy
