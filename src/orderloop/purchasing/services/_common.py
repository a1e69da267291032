"""Helpers shared by purchasing's services: input checks, the purchase order's timeline and its
status machine."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.catalog.models import Variant
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.money import Money, MoneyError, normalize_currency
from orderloop.core.statemachine import StateMachine
from orderloop.core.text import clean_text

from .. import domain
from ..errors import (
    InvalidPurchaseOrderTransition,
    PurchaseOrderNotFound,
)
from ..models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderEventKind,
    PurchaseOrderStatus,
)

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

S = PurchaseOrderStatus

COUNTER_NAME = "purchase_orders"
MAX_LINES = 500
MAX_QUANTITY = 1_000_000
MAX_TEXT = 2000


def _staff_user(username: str | None, *, field_name: str) -> Any:
    """An active user by name (None / "" → None); unknown names are a 422 on the field."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(details={field_name: _("No active staff user with this name.")})
    return user


def _currency(value: str | None, *, field_name: str = "currency") -> str:
    try:
        return normalize_currency(value or "")
    except MoneyError:
        raise InvalidInput(details={field_name: _("Not an ISO 4217 currency code.")}) from None


def _price(value: object, currency: str, *, field_name: str = "price") -> Decimal:
    try:
        money = Money.of(value, currency)
    except MoneyError:
        raise InvalidInput(details={field_name: _("Not a decimal amount.")}) from None
    if money.amount < 0 or money.amount >= Decimal("1e10"):
        raise InvalidInput(details={field_name: _("Must be zero or more (and below 10 000 000 000).")})
    return money.amount


def _bounded(value: int | None, *, field_name: str, low: int, high: int) -> None:
    if value is not None and (isinstance(value, bool) or not low <= value <= high):
        raise InvalidInput(
            details={
                field_name: _("Use a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            }
        )


def _variant(sku: str, *, field_name: str = "sku") -> Variant:
    code = clean_text(sku, 64)
    variant = Variant.objects.select_related("product").filter(sku=code).first() if code else None
    if variant is None:
        raise InvalidInput(details={field_name: _("No product has this SKU.")})
    return variant


# --- The purchase order's timeline and status machine ---------------------------------------------------

# The table of domain.py, each status's next ones in the order of the statuses (the API lists them so).
MACHINE = StateMachine(
    subject="purchase_order",
    transitions={
        status: [target for target in PurchaseOrderStatus if target in targets]
        for status, targets in domain.TRANSITIONS.items()
    },
    error=InvalidPurchaseOrderTransition,
)


def _timeline(
    po: PurchaseOrder,
    *,
    kind: str,
    actor: Actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> PurchaseOrderEvent:
    """A step of the readable timeline shown on the purchase order's page (the domain events are the
    spine's record; see event_types.py)."""
    return PurchaseOrderEvent.objects.create(
        purchase_order=po,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=clean_text(reason, 255),
        data=data or {},
    )


def _locked(po_id: int) -> PurchaseOrder:
    po = (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier", "warehouse")
        .filter(pk=po_id)
        .first()
    )
    if po is None:
        raise PurchaseOrderNotFound(details={"id": po_id})
    return po


def _move(
    po: PurchaseOrder, to: str, *, actor: Actor, reason: str = "", data: dict[str, Any] | None = None
) -> PurchaseOrder:
    """Move a locked purchase order: core's StateMachine checks the table, saves and records the domain
    event (`purchase_order.<to>`); the step also goes to the order's timeline. `data` (expected_date,
    receipt, short) goes to both."""
    current = po.status
    MACHINE.check(current, to)
    po.status_changed_at = timezone.now()
    fields = ["status_changed_at", "updated_at"]
    if to == S.SENT:
        po.sent_at = po.status_changed_at
        fields += ["sent_at", "expected_date"]
    reason = clean_text(reason, 255)
    MACHINE.move(
        po,
        to,
        actor=actor,
        update_fields=fields,
        data={
            "number": po.number,
            "supplier": po.supplier.code,
            "warehouse": po.warehouse.code,
            "reason": reason,
            **(data or {}),
        },
    )
    _timeline(
        po,
        kind=PurchaseOrderEventKind.STATUS_CHANGE,
        actor=actor,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )
    return po
