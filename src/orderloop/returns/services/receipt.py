"""The parcel arrives at the warehouse (the refund deadline starts); notes on the timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.text import clean_text
from orderloop.inventory.models import Warehouse
from orderloop.orders.services import Actor

from .. import domain, selectors
from ..errors import ReturnNotFound
from ..models import ReturnEvent, ReturnEventKind, ReturnRequest
from ..transitions import RETURNS, move, timeline
from .common import S, _locked


def return_receive(*, rma_id: int, actor: Actor, warehouse_code: str = "") -> ReturnRequest:
    """The parcel arrived at the warehouse: the refund SLA starts (due within the policy's 7–14 days)."""
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        if warehouse_code.strip():
            warehouse = Warehouse.objects.filter(code__iexact=warehouse_code.strip()).first()
            if warehouse is None:
                raise InvalidInput(details={"warehouse": _("Unknown warehouse.")})
            rma.warehouse = warehouse
        RETURNS.check(rma.status, S.RECEIVED)
        now = timezone.now()
        terms = domain.PolicyTerms.from_json(rma.policy)
        rma.received_at = now
        rma.refund_due_at = domain.refund_due_at(now, terms.refund_due_days)
        move(rma, S.RECEIVED, actor=actor)
        return rma


def return_receive_scan(*, code: str, actor: Actor, warehouse_code: str = "") -> ReturnRequest:
    """A scanned RMA barcode (or return tracking number) receives that return."""
    rma = selectors.return_for_code(code)
    if rma is None:
        raise ReturnNotFound(details={"code": (code or "").strip()[:100]})
    return return_receive(rma_id=rma.pk, actor=actor, warehouse_code=warehouse_code)


def return_add_note(*, rma_id: int, actor: Actor, text: str) -> ReturnEvent:
    text = clean_text(text, 255)
    if not text:
        raise InvalidInput(details={"text": _("This field is required.")})
    with transaction.atomic():
        _order, rma = _locked(rma_id)
        return timeline(rma, kind=ReturnEventKind.NOTE, actor=actor, reason=text)
