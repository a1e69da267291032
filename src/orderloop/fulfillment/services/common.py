"""What every part of the fulfilment services shares: the status machines of waves, pick lists and parcels
(each move appends its domain event and the FulfilmentEvent timeline row), limits and settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import InvalidInput
from orderloop.core.statemachine import StateMachine
from orderloop.orders.models import OrderStatus

from .. import domain
from ..errors import InvalidParcelTransition
from ..models import EventKind, FulfilmentEvent, Parcel, PickList, Wave

Actor = AbstractBaseUser | AnonymousUser | None
S = OrderStatus

MAX_WAVE_ORDERS = 5000
MAX_BATCH_SIZE = 100
MAX_WEIGHT_G = 1_000_000


def _setting(name: str, default: Any) -> Any:
    return settings.ORDERLOOP.get(name, default)


def _event(
    kind: str,
    *,
    actor: Actor,
    wave: Wave | None = None,
    pick_list: PickList | None = None,
    parcel: Parcel | None = None,
    order_id: int | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> FulfilmentEvent:
    return FulfilmentEvent.objects.create(
        kind=kind,
        wave=wave,
        pick_list=pick_list,
        parcel=parcel,
        order_id=order_id,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(actor),
        reason=(reason or "")[:255],
        data=data or {},
    )


def _status_refused(*, details: dict[str, Any]) -> InvalidInput:
    """A wave or pick list asked to move where its table does not go (422, as before the spine)."""
    return InvalidInput(
        details={
            "status": _("%(current)s → %(to)s is not allowed.")
            % {"current": details["from"], "to": details["to"]}
        }
    )


# The status machines (domain.py's tables): each move appends the domain event `<subject>.<to>`
# (fulfillment/event_types.py) beside the readable FulfilmentEvent timeline.
WAVE_MACHINE = StateMachine(subject="wave", transitions=domain.WAVE_TRANSITIONS, error=_status_refused)


PICK_LIST_MACHINE = StateMachine(
    subject="pick_list", transitions=domain.PICK_LIST_TRANSITIONS, error=_status_refused
)


PARCEL_MACHINE = StateMachine(
    subject="parcel", transitions=domain.PARCEL_TRANSITIONS, error=InvalidParcelTransition
)


def _wave_facts(wave: Wave) -> dict[str, Any]:
    return {"number": wave.number, "warehouse": wave.warehouse.code}


def _pick_list_facts(pick_list: PickList) -> dict[str, Any]:
    return {"code": pick_list.code, "wave": pick_list.wave.number, "warehouse": pick_list.wave.warehouse.code}


def _parcel_facts(parcel: Parcel) -> dict[str, Any]:
    return {
        "number": parcel.number,
        "order_id": parcel.order_id,
        "order_number": parcel.order.number,
        "warehouse": parcel.warehouse.code,
    }


def _move(
    row: Wave | PickList | Parcel,
    to: str,
    *,
    actor: Actor,
    reason: str = "",
    fields: Sequence[str] = (),
    data: dict[str, Any] | None = None,
    event_data: dict[str, Any] | None = None,
    event_type: str | None = None,
) -> None:
    """Move a locked wave, pick list or parcel along its machine (the domain event) and append the
    timeline row. `data` goes on the timeline, `event_data` into the domain event's payload."""
    current = row.status
    update = list(fields)
    if hasattr(row, "status_changed_at"):
        row.status_changed_at = timezone.now()
        update.append("status_changed_at")
    if isinstance(row, Wave):
        WAVE_MACHINE.move(row, to, actor=actor, update_fields=update, data=_wave_facts(row))
    elif isinstance(row, PickList):
        PICK_LIST_MACHINE.move(
            row,
            to,
            actor=actor,
            update_fields=update,
            data={**_pick_list_facts(row), "picker": row.picker.get_username() if row.picker else ""},
        )
    else:
        PARCEL_MACHINE.move(
            row,
            to,
            actor=actor,
            update_fields=update,
            event_type=event_type,
            data={
                **_parcel_facts(row),
                **(event_data if event_data is not None else {"reason": reason[:255]}),
            },
        )
    _event(
        EventKind.STATUS_CHANGE,
        actor=actor,
        wave=row if isinstance(row, Wave) else None,
        pick_list=row if isinstance(row, PickList) else None,
        parcel=row if isinstance(row, Parcel) else None,
        order_id=row.order_id if isinstance(row, Parcel) else None,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )
