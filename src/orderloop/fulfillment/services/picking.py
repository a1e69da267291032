"""Picking: claiming a pick list, scan-confirmed picks sorted into totes, short picks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core import events
from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.orders import locks as order_locks
from orderloop.orders import shortpick

from .. import domain, locks, selectors
from ..errors import PickListDone, PickListNotFound, PickListTaken, PickRowNotFound
from ..models import (
    EventKind,
    PickList,
    PickListStatus,
    PickTask,
    ScanOutcome,
    ScanRecord,
    ScanStage,
    WaveStatus,
)
from .common import Actor, S, _event, _move, _pick_list_facts
from .settling import _maybe_close_wave, _settle_order


def _locked_pick_list(pick_list_id: int) -> PickList:
    pick_list = locks.pick_list_for_update(pick_list_id)
    if pick_list is None:
        raise PickListNotFound()
    return pick_list


def _may_pick(pick_list: PickList, actor: Actor) -> None:
    if pick_list.status == PickListStatus.DONE:
        raise PickListDone(details={"pick_list": pick_list.code})
    actor_id = _actor_id(actor)
    if pick_list.picker_id is not None and actor_id is not None and pick_list.picker_id != actor_id:
        picker = pick_list.picker.get_username() if pick_list.picker else None
        raise PickListTaken(details={"pick_list": pick_list.code, "picker": picker})


def pick_list_claim(*, pick_list_id: int, actor: Actor) -> PickList:
    """Take a pick list (the handheld shows it as mine). A list another picker holds is refused (409)."""
    with transaction.atomic():
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        if pick_list.picker_id is None and _actor_id(actor) is not None:
            pick_list.picker_id = _actor_id(actor)
            pick_list.save(update_fields=["picker"])
            _event(EventKind.CLAIMED, actor=actor, pick_list=pick_list, wave=pick_list.wave)
            events.record(
                "pick_list.claimed",
                pick_list.pk,
                {**_pick_list_facts(pick_list), "picker": actor.get_username() if actor else ""},
                actor=actor,
            )
        return pick_list


def _still_to_pick(tasks: Any) -> Any:
    """Tasks with units left to pick, of orders still going out (a cancelled order's are dropped)."""
    return tasks.filter(quantity__gt=F("quantity_picked") + F("quantity_short")).exclude(
        tote__order__status=S.CANCELLED
    )


def _open_tasks(pick_list: PickList, *, stock_id: int | None = None) -> list[PickTask]:
    queryset = (
        _still_to_pick(PickTask.objects.filter(pick_list=pick_list))
        .select_related("variant", "tote__order")
        .order_by("route_position", "tote__batch", "tote__slot", "id")
    )
    if stock_id is not None:
        queryset = queryset.filter(stock_id=stock_id)
    return list(queryset)


def _rows(tasks: list[PickTask]) -> list[list[PickTask]]:
    """Open tasks grouped per bin row (consecutive tasks of one stock row), in route order."""
    rows: list[list[PickTask]] = []
    for task in tasks:
        if rows and rows[-1][0].stock_id == task.stock_id:
            rows[-1].append(task)
        else:
            rows.append([task])
    return rows


def _after_picking(pick_list: PickList, *, actor: Actor, picked_now: bool) -> None:
    """Advance the pick list and its wave after picks or shorts were recorded."""
    wave = locks.waves_for_update({pick_list.wave_id}).get()
    now = timezone.now()
    if picked_now and pick_list.status == PickListStatus.OPEN:
        pick_list.started_at = now
        _move(
            pick_list,
            PickListStatus.IN_PROGRESS,
            actor=actor,
            fields=["started_at"],
        )
    if picked_now and wave.status == WaveStatus.RELEASED:
        _move(wave, WaveStatus.PICKING, actor=actor)
    if not _still_to_pick(PickTask.objects.filter(pick_list=pick_list)).exists():
        pick_list.finished_at = now
        _move(pick_list, PickListStatus.DONE, actor=actor, fields=["finished_at"])
        if (
            not wave.pick_lists.exclude(status=PickListStatus.DONE).exists()
            and wave.status != WaveStatus.PICKED
        ):
            _move(wave, WaveStatus.PICKED, actor=actor)
    _maybe_close_wave(wave, actor=actor)


@dataclass
class PickScanResult:
    accepted: bool
    outcome: str
    code: str
    pick_list: PickList
    units: int = 0
    sku: str = ""
    bin_code: str = ""
    # (tote code, order number, units) the picked units go into
    totes: list[tuple[str, str, int]] = field(default_factory=list)


def pick_confirm(
    *, pick_list_id: int, code: str, actor: Actor, quantity: int | None = None, stock_id: int | None = None
) -> PickScanResult:
    """Confirm a pick by scanning the bin's code or the product's barcode (or SKU). The scan confirms
    the first open row of the list it matches (the current one, normally); `quantity` defaults to
    everything the row still asks for. The units are sorted into the totes in queue order
    (domain.sort_into_totes). A code that matches no open row is refused (`accepted=False`) and the
    refusal is recorded; nothing else changes."""
    text = domain.normalize_code(code)
    if not text:
        raise InvalidInput(details={"code": _("Scan a bin or a product.")})
    with transaction.atomic():
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        rows = _rows(_open_tasks(pick_list, stock_id=stock_id))
        row = next(
            (
                tasks
                for tasks in rows
                if domain.code_matches(
                    text, tasks[0].bin_code, tasks[0].variant.barcode, tasks[0].variant.sku
                )
            ),
            None,
        )
        warehouse_id = pick_list.wave.warehouse_id
        if row is None:
            if stock_id is not None and not rows:
                raise PickRowNotFound(details={"stock_id": stock_id})
            variant = selectors.variant_for_code(text)
            refused = ScanOutcome.UNKNOWN_CODE if variant is None else ScanOutcome.WRONG_ITEM
            ScanRecord.objects.create(
                stage=ScanStage.PICK,
                outcome=refused,
                code=text,
                variant=variant,
                pick_list=pick_list,
                warehouse_id=warehouse_id,
                quantity=0,
                actor_id=_actor_id(actor),
            )
            return PickScanResult(accepted=False, outcome=refused, code=text, pick_list=pick_list)
        remaining = sum(task.remaining for task in row)
        units = remaining if quantity is None else quantity
        if isinstance(units, bool) or not 1 <= units <= remaining:
            raise InvalidInput(details={"quantity": _("Must be between 1 and %(n)s.") % {"n": remaining}})
        if pick_list.picker_id is None and _actor_id(actor) is not None:
            pick_list.picker_id = _actor_id(actor)
            pick_list.save(update_fields=["picker"])
        now = timezone.now()
        result = PickScanResult(
            accepted=True,
            outcome=ScanOutcome.ACCEPTED,
            code=text,
            pick_list=pick_list,
            units=units,
            sku=row[0].variant.sku,
            bin_code=row[0].bin_code,
        )
        for task, take in domain.sort_into_totes(units, [(task, task.remaining) for task in row]):
            if not take:
                continue
            assert isinstance(task, PickTask)
            PickTask.objects.filter(pk=task.pk).update(
                quantity_picked=F("quantity_picked") + take, picked_by_id=_actor_id(actor), picked_at=now
            )
            result.totes.append((task.tote.code, task.tote.order.number, take))
        ScanRecord.objects.create(
            stage=ScanStage.PICK,
            outcome=ScanOutcome.ACCEPTED,
            code=text,
            variant=row[0].variant,
            pick_list=pick_list,
            warehouse_id=warehouse_id,
            quantity=units,
            actor_id=_actor_id(actor),
        )
        _after_picking(pick_list, actor=actor, picked_now=True)
        return result


@dataclass
class ShortPickResult:
    pick_list: PickList
    found: int
    short: int
    reallocated: list[tuple[str, int]] = field(default_factory=list)  # (warehouse code, units)
    backordered: int = 0


def pick_short(
    *, pick_list_id: int, stock_id: int, found: int, actor: Actor, reason: str = "not_found"
) -> ShortPickResult:
    """Record a short pick on a row: `found` units were there (they are picked, for the first orders
    in the queue), the rest was not. The missing units are written off the bin and re-allocated to
    another warehouse, or backordered (orders/shortpick.py, with an event on each order); the short
    pick is on the list's timeline. An order left with nothing to pick or pack here and units
    backordered waits for stock (`awaiting_stock`); what was packed already ships (partial)."""
    if isinstance(found, bool) or found < 0:
        raise InvalidInput(details={"found": _("Must be zero or more.")})
    preview = PickList.objects.filter(pk=pick_list_id).first()
    if preview is None:
        raise PickListNotFound()
    order_ids = sorted(
        set(
            PickTask.objects.filter(pick_list_id=pick_list_id, stock_id=stock_id).values_list(
                "tote__order_id", flat=True
            )
        )
    )
    with transaction.atomic():
        list(order_locks.orders_for_update().filter(pk__in=order_ids).values_list("id", flat=True))
        pick_list = _locked_pick_list(pick_list_id)
        _may_pick(pick_list, actor)
        tasks = _open_tasks(pick_list, stock_id=stock_id)
        if not tasks:
            raise PickRowNotFound(details={"stock_id": stock_id})
        remaining = sum(task.remaining for task in tasks)
        if found >= remaining:
            raise InvalidInput(
                details={
                    "found": _("Less than %(n)s; confirm the pick when everything is there.")
                    % {"n": remaining}
                }
            )
        now = timezone.now()
        result = ShortPickResult(pick_list=pick_list, found=found, short=remaining - found)
        reallocated: dict[str, int] = defaultdict(int)
        for task, take in domain.sort_into_totes(found, [(task, task.remaining) for task in tasks]):
            assert isinstance(task, PickTask)
            missing = task.remaining - take
            PickTask.objects.filter(pk=task.pk).update(
                quantity_picked=F("quantity_picked") + take,
                quantity_short=F("quantity_short") + missing,
                picked_by_id=_actor_id(actor),
                picked_at=now,
            )
            if not missing:
                continue
            outcome = shortpick.line_short_pick(
                order_id=task.tote.order_id,
                line_id=task.line_id,
                stock_id=task.stock_id,
                quantity=missing,
                actor=actor,
                bin_code=task.bin_code,
                reason=reason,
            )
            for code, _stock, units in outcome.reallocated:
                reallocated[code] += units
            result.backordered += outcome.backordered
            _event(
                EventKind.SHORT_PICK,
                actor=actor,
                wave=pick_list.wave,
                pick_list=pick_list,
                order_id=task.tote.order_id,
                reason=reason,
                data={
                    "sku": task.variant.sku,
                    "bin": task.bin_code,
                    "tote": task.tote.code,
                    "short": missing,
                    "reallocated": [{"warehouse": c, "quantity": u} for c, _s, u in outcome.reallocated],
                    "backordered": outcome.backordered,
                },
            )
            events.record(
                "pick_list.short_picked",
                pick_list.pk,
                {
                    **_pick_list_facts(pick_list),
                    "order_id": task.tote.order_id,
                    "order_number": task.tote.order.number,
                    "sku": task.variant.sku,
                    "bin": task.bin_code,
                    "tote": task.tote.code,
                    "short": missing,
                    "reallocated": [{"warehouse": c, "quantity": u} for c, _s, u in outcome.reallocated],
                    "backordered": outcome.backordered,
                    "reason": (reason or "")[:255],
                },
                actor=actor,
            )
        result.reallocated = sorted(reallocated.items())
        _after_picking(pick_list, actor=actor, picked_now=found > 0)
        for order_id in order_ids:
            _settle_order(order_id, actor=actor)
        return result
