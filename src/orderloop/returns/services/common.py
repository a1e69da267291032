"""What the returns services share: the locks, the order's status after its returns, the bank details check."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.utils.translation import gettext as _

from orderloop.core.text import clean_text
from orderloop.inventory.models import MovementReason, Warehouse
from orderloop.orders import locks as order_locks
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order, OrderStatus
from orderloop.orders.services import Actor, order_transition

from .. import domain, selectors
from ..errors import BankDetailsInvalid, BankDetailsRequired, ReturnNotFound
from ..locks import return_for_update
from ..models import ReturnRequest, ReturnStatus

logger = logging.getLogger(__name__)


ZERO = Decimal("0")


S = ReturnStatus


MAX_NOTE = 2000


def _locked(rma_id: int) -> tuple[Order, ReturnRequest]:
    locked = return_for_update(rma_id)
    if locked is None:
        raise ReturnNotFound()
    return locked


def _lock_order(order_id: int) -> Order:
    order = order_locks.order_for_update(order_id)
    if order is None:
        raise OrderNotFound()
    return order


def _default_warehouse(order: Order) -> Warehouse | None:
    """Where the return goes: the warehouse the order's units were reserved in (or shipped from), else the
    first active warehouse."""
    from orderloop.inventory.models import StockMovement

    allocation = order.lines.filter(allocations__isnull=False).values_list(
        "allocations__warehouse_id", flat=True
    )
    warehouse_id = allocation.first() or (
        StockMovement.objects.filter(reference=f"order {order.number}", reason=MovementReason.SHIPMENT)
        .values_list("stock__warehouse_id", flat=True)
        .first()
    )
    if warehouse_id is not None:
        return Warehouse.objects.filter(pk=warehouse_id).first()
    return Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()


def _order_returning(order: Order, *, actor: Actor, reason: str) -> None:
    if order.status in {OrderStatus.DELIVERED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.COMPLETED}:
        order_transition(
            order_id=order.pk, to=OrderStatus.RETURN_REQUESTED, actor=actor, reason=f"return {reason}"
        )


def _order_after_return(order: Order, *, actor: Actor) -> None:
    """When the order's last open return ended (a return waiting for its refund is still open): the
    order is `returned` when every unit (free gifts aside) is back, `partially_returned` when some are,
    else `completed` (rejected or withdrawn)."""
    if order.status != OrderStatus.RETURN_REQUESTED:
        return
    if ReturnRequest.objects.filter(order=order, status__in=domain.OPEN).exists():
        return
    ordered = {line.pk: line.quantity for line in order.lines.all() if not line.is_gift}
    to = domain.order_status_after_returns(ordered=ordered, back=selectors.units_back(order, ended_only=True))
    order_transition(order_id=order.pk, to=to, actor=actor, reason="returns settled")


def _clean_bank_details(bank_iban: str, bank_holder: str, *, required: bool) -> tuple[str, str]:
    """The IBAN (compact, checked with python-stdnum) and the account holder; ("", "") when neither was
    given and they are not required. Missing: 422 `bank_details_required`; an invalid IBAN: 422
    `bank_details_invalid` (details name the field)."""
    raw = clean_text(bank_iban, 64)
    holder = clean_text(bank_holder, 200)
    if not raw and not holder and not required:
        return "", ""
    missing: dict[str, str] = {}
    if not raw:
        missing["bank_iban"] = _("Enter the IBAN of the account the refund should go to.")
    if not holder:
        missing["bank_holder"] = _("Enter the name of the account holder.")
    if missing:
        raise BankDetailsRequired(details=missing)
    try:
        return domain.clean_iban(raw), holder
    except ValueError:
        raise BankDetailsInvalid(details={"bank_iban": _("Not a valid IBAN.")}) from None
