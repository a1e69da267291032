"""The event spine: every state change appends one domain event in the transaction that makes it.

Areas declare their event types in an `event_types.py` module of their own (found at start-up by
`CoreConfig.ready`): a stable dotted name (`order.confirmed`), the subject type, a pydantic model of the
payload and a one-line description. `record()` validates the payload against that model, numbers the
event within its subject and writes it; consumers subscribed to the type (core/consumers.py) get a task
in the same transaction, so nothing is lost after a commit and nothing is sent for a rollback.

The caller holds the subject's row lock (every status change already does), which is what makes the
per-subject sequence safe; the unique (subject, sequence) constraint turns a forgotten lock into an error
instead of a duplicate number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .models import DomainEvent


class Payload(BaseModel):
    """Base of every event payload: plain JSON values only, unknown keys refused (a typo is a bug)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TransitionPayload(Payload):
    """A status change: the payload of most events (an area's type may add fields)."""

    from_: str = Field(alias="from")
    to: str


@dataclass(frozen=True)
class EventType:
    name: str
    subject_type: str
    payload: type[Payload]
    description: str
    version: int = 1
    # Kept for docs/events.md: which area declared the type.
    area: str = field(default="", compare=False)


class UnknownEventType(LookupError):
    pass


class InvalidPayload(ValueError):
    pass


_catalogue: dict[str, EventType] = {}


def define(
    name: str, *, subject: str, payload: type[Payload], description: str, version: int = 1
) -> EventType:
    """Declare an event type (once, from an area's event_types module)."""
    if not name.startswith(f"{subject}."):
        raise ValueError(f"event type {name!r} must be '<subject>.<what happened>'")
    existing = _catalogue.get(name)
    event_type = EventType(
        name=name,
        subject_type=subject,
        payload=payload,
        description=description,
        version=version,
        area=payload.__module__.split(".")[1] if payload.__module__.startswith("orderloop.") else "",
    )
    if existing is not None and existing != event_type:
        raise ValueError(f"event type {name!r} is declared twice")
    _catalogue[name] = event_type
    return event_type


def catalogue() -> Mapping[str, EventType]:
    return dict(sorted(_catalogue.items()))


def event_type(name: str) -> EventType:
    try:
        return _catalogue[name]
    except KeyError:
        raise UnknownEventType(name) from None


def money(amount: Any, currency: str) -> dict[str, str]:
    """Money in a payload: the amount as a decimal string (never a float) and its ISO 4217 currency."""
    return {"amount": str(amount), "currency": currency}


def actor_fields(actor: Any, kind: str | None = None) -> dict[str, Any]:
    """Who did it, as stored on the event: a signed-in user is `staff` unless the caller says otherwise
    (`customer` for the shop's own pages, `api` for integrations); nobody is the `system`."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {
            "actor_kind": kind or "staff",
            "actor_id": actor.pk,
            "actor_name": actor.get_username()[:150],
        }
    return {"actor_kind": kind or "system", "actor_id": None, "actor_name": ""}


@dataclass(frozen=True)
class NewEvent:
    """An event about to be recorded (see record_many)."""

    type: str
    subject_id: Any
    data: Mapping[str, Any] | Payload
    actor: Any = None
    actor_kind: str | None = None
    occurred_at: datetime | None = None
    # The caller may know the number already (a subject's first event is 1): one query fewer.
    sequence: int | None = None


def _payload(event_type_: EventType, data: Mapping[str, Any] | Payload) -> dict[str, Any]:
    try:
        model = data if isinstance(data, event_type_.payload) else event_type_.payload.model_validate(data)
    except ValidationError as error:
        raise InvalidPayload(f"{event_type_.name}: {error}") from error
    return model.model_dump(mode="json", by_alias=True)


def record_many(events: Iterable[NewEvent]) -> list[DomainEvent]:
    """Append several events in one INSERT (their subjects locked by the caller) and hand each to the
    consumers subscribed to its type."""
    from . import consumers  # consumers import this module for the envelope and the catalogue

    rows: list[DomainEvent] = []
    next_sequence: dict[tuple[str, str], int] = {}
    now = timezone.now()
    for new in events:
        kind = event_type(new.type)
        subject_id = str(new.subject_id)
        key = (kind.subject_type, subject_id)
        if new.sequence is not None:
            sequence = new.sequence
        elif key in next_sequence:
            sequence = next_sequence[key]
        else:
            last = DomainEvent.objects.filter(subject_type=key[0], subject_id=subject_id).aggregate(
                last=Max("sequence")
            )["last"]
            sequence = (last or 0) + 1
        next_sequence[key] = sequence + 1
        rows.append(
            DomainEvent(
                type=kind.name,
                subject_type=kind.subject_type,
                subject_id=subject_id,
                sequence=sequence,
                version=kind.version,
                occurred_at=new.occurred_at or now,
                data=_payload(kind, new.data),
                **actor_fields(new.actor, new.actor_kind),
            )
        )
    if not rows:
        return rows
    written = DomainEvent.objects.bulk_create(rows)
    consumers.dispatch(written)
    return written


def record(
    type: str,
    subject_id: Any,
    data: Mapping[str, Any] | Payload,
    *,
    actor: Any = None,
    actor_kind: str | None = None,
    sequence: int | None = None,
    occurred_at: datetime | None = None,
) -> DomainEvent:
    """Append one event about `subject_id` (its type's subject) in the current transaction."""
    return record_many(
        [
            NewEvent(
                type=type,
                subject_id=subject_id,
                data=data,
                actor=actor,
                actor_kind=actor_kind,
                sequence=sequence,
                occurred_at=occurred_at,
            )
        ]
    )[0]


def events_of(subject_type: str, subject_id: Any) -> list[DomainEvent]:
    """A subject's events in order."""
    return list(
        DomainEvent.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by("sequence")
    )


def envelope(event: DomainEvent) -> dict[str, Any]:
    """The public shape of an event (webhooks, the event feed): see docs/events.md."""
    return {
        "id": str(event.pk),
        "type": event.type,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "version": event.version,
        "data": event.data,
    }
