"""Replenishment: suggestions become draft purchase orders; low-stock alerts to staff."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orderloop.core.errors import InvalidInput
from orderloop.inventory.models import Warehouse
from orderloop.notifications.models import StaffNotificationKind
from orderloop.notifications.services import notify_staff

from .. import selectors
from ..models import (
    PurchaseOrder,
    ReorderRule,
    Supplier,
    SupplierItem,
)
from ._common import MAX_QUANTITY, Actor
from .orders import LineInput, purchase_order_create

# --- Replenishment → draft purchase orders ----------------------------------------------------------------


def purchase_orders_from_suggestions(
    *,
    actor: Actor,
    keys: Sequence[str] | None = None,
    quantities: Mapping[str, int] | None = None,
    warehouse_id: int | None = None,
    supplier_id: int | None = None,
) -> list[PurchaseOrder]:
    """One click: the replenishment suggestions (all, or the `keys` chosen, with optional quantity
    overrides) become draft purchase orders, one per supplier, warehouse and currency. Suggestions
    without a supplier are left out. Drafts count against later suggestions, so a second click adds
    nothing. All drafts are written in one transaction."""
    quantities = dict(quantities or {})
    for key, quantity in quantities.items():
        if isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(
                details={
                    f"quantities.{key}": _("Use a whole number from %(low)s to %(high)s.")
                    % {"low": 0, "high": MAX_QUANTITY}
                }
            )
    with transaction.atomic():
        suggestions = selectors.replenishment(warehouse_id=warehouse_id, supplier_id=supplier_id)
        chosen = [s for s in suggestions if s.can_order and (keys is None or s.key in set(keys))]
        groups: dict[tuple[int, int, str], list[LineInput]] = defaultdict(list)
        suppliers: dict[int, Supplier] = {}
        warehouses: dict[int, Warehouse] = {}
        for suggestion in chosen:
            assert suggestion.item is not None
            quantity = quantities.get(suggestion.key, suggestion.advice.quantity)
            if quantity <= 0:
                continue
            supplier = suggestion.item.supplier
            suppliers[supplier.pk] = supplier
            warehouses[suggestion.warehouse.pk] = suggestion.warehouse
            groups[(supplier.pk, suggestion.warehouse.pk, suggestion.item.currency)].append(
                LineInput(sku=suggestion.variant.sku, quantity=quantity)
            )
        created = [
            purchase_order_create(
                supplier=suppliers[supplier_id_],
                warehouse=warehouses[warehouse_id_],
                currency=currency,
                lines=lines,
                actor=actor,
                reason="replenishment",
            )
            for (supplier_id_, warehouse_id_, currency), lines in sorted(groups.items())
        ]
        return created


# --- Low-stock alerts ----------------------------------------------------------------------------------

LOW_STOCK_MESSAGE = gettext_noop(
    "Low stock: %(sku)s in %(warehouse)s — position %(position)s is at or below %(trigger)s. "
    "Suggested order: %(quantity)s."
)


@dataclass
class LowStockReport:
    alerted: list[str] = field(default_factory=list)  # "SKU@warehouse"
    cleared: list[str] = field(default_factory=list)
    notified: int = 0


def _alert_recipients(rule: ReorderRule, item: SupplierItem | None, staff: list[Any]) -> list[Any]:
    if rule.responsible is not None and rule.responsible.is_active:
        return [rule.responsible]
    if item is not None and item.supplier.buyer is not None and item.supplier.buyer.is_active:
        return [item.supplier.buyer]
    return staff


def low_stock_check(*, now: datetime | None = None) -> LowStockReport:
    """Alert the responsible staff (in-app) once per episode when a reorder rule's stock position is at
    or below its trigger; the episode ends (and the rule may alert again) when the position is above.
    Recipients: the rule's responsible person, else the preferred supplier's buyer, else every active
    user who may buy. Idempotent: each rule is re-checked under its row lock, notifications are unique
    per (recipient, rule, episode)."""
    now = now or timezone.now()
    report = LowStockReport()
    staff = selectors.purchasing_staff()
    suggestions = {
        s.rule.pk: s for s in selectors.replenishment(only_needed=False, now=now) if s.rule is not None
    }
    for rule_id, suggestion in suggestions.items():
        with transaction.atomic():
            rule = (
                ReorderRule.objects.select_for_update(of=("self",))
                .select_related("responsible")
                .filter(pk=rule_id)
                .first()
            )
            if rule is None:
                continue
            label = f"{suggestion.variant.sku}@{suggestion.warehouse.code}"
            if suggestion.advice.needed and rule.alerted_at is None:
                ReorderRule.objects.filter(pk=rule.pk).update(alerted_at=now)
                rows = notify_staff(
                    recipients=_alert_recipients(rule, suggestion.item, staff),
                    kind=StaffNotificationKind.INFO,
                    message=LOW_STOCK_MESSAGE,
                    params={
                        "sku": suggestion.variant.sku,
                        "warehouse": suggestion.warehouse.code,
                        "position": suggestion.advice.position,
                        "trigger": suggestion.advice.trigger,
                        "quantity": suggestion.advice.quantity,
                    },
                    key=f"low_stock:{rule.pk}:{now.isoformat()}",
                )
                report.alerted.append(label)
                report.notified += len(rows)
            elif not suggestion.advice.needed and rule.alerted_at is not None:
                ReorderRule.objects.filter(pk=rule.pk).update(alerted_at=None)
                report.cleared.append(label)
    return report
