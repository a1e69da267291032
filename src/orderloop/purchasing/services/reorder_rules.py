"""Reorder rules: when and how much to buy of a variant for a warehouse."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.catalog.models import Variant
from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import Warehouse

from ..errors import (
    ReorderRuleNotFound,
)
from ..models import (
    ReorderMethod,
    ReorderRule,
)
from ._common import MAX_QUANTITY, Actor, _staff_user

# --- Reorder rules ------------------------------------------------------------------------------------


def reorder_rule_set(
    *,
    variant: Variant,
    warehouse: Warehouse,
    method: str,
    min_quantity: int | None = None,
    max_quantity: int | None = None,
    safety_stock: int = 0,
    velocity_days: int = 28,
    review_days: int = 14,
    responsible_username: str | None = None,
    is_active: bool = True,
    actor: Actor,
) -> ReorderRule:
    """Add or replace the rule of a variant in a warehouse.

    Min/max needs both numbers (max ≥ min); the reorder-point method uses the sales window, the
    supplier's lead time and the safety stock (docs/purchasing.md)."""
    errors: dict[str, str] = {}
    if method not in ReorderMethod.values:
        errors["method"] = _("Choose min/max or reorder point.")
    for name, value, low, high in (
        ("min_quantity", min_quantity, 0, MAX_QUANTITY),
        ("max_quantity", max_quantity, 0, MAX_QUANTITY),
        ("safety_stock", safety_stock, 0, MAX_QUANTITY),
        ("velocity_days", velocity_days, 1, 365),
        ("review_days", review_days, 0, 365),
    ):
        if value is not None and (isinstance(value, bool) or not low <= value <= high):
            errors[name] = _("Use a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if method == ReorderMethod.MIN_MAX:
        if min_quantity is None:
            errors.setdefault("min_quantity", _("This field is required."))
        if max_quantity is None:
            errors.setdefault("max_quantity", _("This field is required."))
        if min_quantity is not None and max_quantity is not None and max_quantity < min_quantity:
            errors.setdefault("max_quantity", _("Must be at least the minimum."))
    if errors:
        raise InvalidInput(details=errors)
    responsible = _staff_user(responsible_username, field_name="responsible")
    with transaction.atomic():
        rule, _created = ReorderRule.objects.update_or_create(
            variant=variant,
            warehouse=warehouse,
            defaults={
                "method": method,
                "min_quantity": min_quantity if method == ReorderMethod.MIN_MAX else None,
                "max_quantity": max_quantity if method == ReorderMethod.MIN_MAX else None,
                "safety_stock": safety_stock,
                "velocity_days": velocity_days,
                "review_days": review_days,
                "responsible": responsible,
                "is_active": is_active,
            },
        )
        return rule


def reorder_rule_delete(*, rule_id: int, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _rows = ReorderRule.objects.filter(pk=rule_id).delete()
        if not deleted:
            raise ReorderRuleNotFound(details={"id": rule_id})
