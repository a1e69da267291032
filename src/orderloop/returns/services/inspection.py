"""Inspection: every unit graded, booked back to stock, quarantined or written off through the ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.text import clean_text
from orderloop.inventory.models import MovementReason, Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.orders.services import Actor
from orderloop.orders.shipout import order_lines_ship_out

from .. import domain
from ..models import ConditionGrade, Disposition, Inspection, ReturnEventKind, ReturnLine, ReturnRequest
from ..transitions import RETURNS, move, timeline
from .common import S, _default_warehouse, _locked


@dataclass(frozen=True)
class InspectionInput:
    line_id: int
    quantity: int
    grade: str
    disposition: str = ""  # empty: domain.DEFAULT_DISPOSITION
    refund: bool | None = None  # None: domain.refunds_by_default
    note: str = ""


def quarantine_warehouse() -> Warehouse:
    """The quarantine: an inactive warehouse (`RETURN_QUARANTINE_WAREHOUSE`, default `QUARANTINE`), so
    its units are never allocated, sold or picked; created on first use."""
    code = str(settings.ORDERLOOP.get("RETURN_QUARANTINE_WAREHOUSE", "QUARANTINE"))
    warehouse = Warehouse.objects.filter(code__iexact=code).first()
    if warehouse is not None:
        return warehouse
    try:
        with transaction.atomic():
            return Warehouse.objects.create(
                code=code,
                name=_("Returns quarantine"),
                country=str(settings.ORDERLOOP.get("DEFAULT_COUNTRY", "UA"))[:2],
                priority=1_000_000,
                is_active=False,
            )
    except IntegrityError:
        return Warehouse.objects.get(code__iexact=code)


def _book_units(
    rma: ReturnRequest, line: ReturnLine, item: InspectionInput, *, disposition: str, actor: Actor
) -> Warehouse | None:
    """Stock for inspected units, through the ledger: resellable → RETURN into the receiving warehouse's
    available stock; quarantine → RETURN into the quarantine warehouse; write-off → RETURN then an
    ADJUSTMENT out again (the ledger shows the unit came back and was written off)."""
    if disposition == Disposition.NONE:
        return None
    warehouse = rma.warehouse or _default_warehouse(rma.order)
    if warehouse is None:
        raise InvalidInput(details={"warehouse": _("No warehouse to receive the return in.")})
    reference = f"return {rma.number}"
    variant = line.variant
    if disposition == Disposition.QUARANTINE:
        target = quarantine_warehouse()
        stock_adjust(
            variant=variant,
            warehouse=target,
            delta=item.quantity,
            reason=MovementReason.RETURN,
            actor=actor,
            reference=reference,
            note=clean_text(f"quarantine: {item.grade} {item.note}", 255),
        )
        return target
    stock_adjust(
        variant=variant,
        warehouse=warehouse,
        delta=item.quantity,
        reason=MovementReason.RETURN,
        actor=actor,
        reference=reference,
        note=item.grade,
    )
    if disposition == Disposition.WRITE_OFF:
        stock_adjust(
            variant=variant,
            warehouse=warehouse,
            delta=-item.quantity,
            reason=MovementReason.ADJUSTMENT,
            actor=actor,
            reference=reference,
            note=clean_text(f"write-off: {item.grade} {item.note}", 255),
        )
    return warehouse


def return_inspect(*, rma_id: int, items: Sequence[InspectionInput], actor: Actor) -> ReturnRequest:
    """Record what arrived, line by line: every unit of every line gets a condition grade (`missing` for
    units not in the parcel) and a disposition; stock moves through the ledger in the same transaction.
    Two inspectors at once: the second finds the return inspected already (409) and nothing is booked twice."""
    with transaction.atomic():
        order, rma = _locked(rma_id)
        RETURNS.check(rma.status, S.INSPECTED)
        lines = {line.pk: line for line in rma.lines.select_related("variant", "order_line")}
        errors: dict[str, str] = {}
        counted: dict[int, int] = defaultdict(int)
        plan: list[tuple[InspectionInput, str, bool]] = []
        for index, item in enumerate(items):
            prefix = f"items.{index}"
            if item.line_id not in lines:
                errors[f"{prefix}.line_id"] = _("Not a line of this return.")
                continue
            if item.quantity < 1:
                errors[f"{prefix}.quantity"] = _("Must be at least 1.")
                continue
            disposition = item.disposition or domain.DEFAULT_DISPOSITION.get(item.grade, "")  # type: ignore[call-overload]
            problem = domain.disposition_error(item.grade, disposition)
            if problem == "unknown_grade":
                errors[f"{prefix}.grade"] = _("Choose the condition.")
                continue
            if problem is not None:
                errors[f"{prefix}.disposition"] = _(
                    "Damaged or missing units cannot go back to available stock."
                )
                continue
            refund = domain.refunds_by_default(item.grade) if item.refund is None else bool(item.refund)
            if item.grade == ConditionGrade.MISSING:
                refund = False
            counted[item.line_id] += item.quantity
            plan.append((item, disposition, refund))
        for line_id, line in lines.items():
            if not errors and counted.get(line_id, 0) != line.quantity:
                errors[f"lines.{line_id}"] = ngettext(
                    "Grade the %(n)s unit of %(sku)s (mark it missing if it did not arrive).",
                    "Grade all %(n)s units of %(sku)s (mark units that did not arrive as missing).",
                    line.quantity,
                ) % {
                    "n": line.quantity,
                    "sku": line.sku,
                }
        if errors:
            raise InvalidInput(details=errors)
        # Units that still sit reserved (the handover was never recorded) leave stock first.
        order_lines_ship_out(
            order=order, line_ids=[line.order_line_id for line in lines.values()], actor=actor
        )
        booked = []
        for item, disposition, refund in sorted(plan, key=lambda p: p[0].line_id):
            line = lines[item.line_id]
            warehouse = _book_units(rma, line, item, disposition=disposition, actor=actor)
            Inspection.objects.create(
                line=line,
                quantity=item.quantity,
                grade=item.grade,
                disposition=disposition,
                refund=refund,
                warehouse=warehouse,
                note=clean_text(item.note, 255),
                inspected_by_id=_actor_id(actor),
            )
            booked.append(
                {
                    "sku": line.sku,
                    "quantity": item.quantity,
                    "grade": item.grade,
                    "disposition": disposition,
                    "refund": refund,
                }
            )
        timeline(rma, kind=ReturnEventKind.INSPECTION, actor=actor, data={"items": booked})
        move(rma, S.INSPECTED, actor=actor, payload={"items": booked})
        return rma
