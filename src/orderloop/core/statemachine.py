"""One transition helper for every area's status machine: check the table → write → append the event.

An area describes its machine once (`StateMachine(subject="order", transitions={...})`) and moves a
subject it has locked (`select_for_update`) with `machine.move(obj, to, actor=…)`. The move refuses a
transition the table does not allow with the area's own error (a stable code for the API), saves the new
status with any other fields the caller changed, and records the event (`<subject>.<to>` unless the area
names another type) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from . import events
from .errors import Conflict
from .models import DomainEvent


class TransitionNotAllowed(Conflict):
    code = "invalid_transition"


@dataclass(frozen=True)
class StateMachine:
    subject: str
    transitions: Mapping[str, Iterable[str]]
    field: str = "status"
    # The area's own error for a refused move (keeps its API code); called with details=…
    error: Callable[..., Exception] = TransitionNotAllowed

    def allowed_next(self, current: str) -> list[str]:
        return list(self.transitions.get(current, ()))

    def can(self, current: str, to: str) -> bool:
        return to in self.transitions.get(current, ())

    def check(self, current: str, to: str) -> None:
        if not self.can(current, to):
            raise self.error(details={"from": current, "to": to, "allowed": self.allowed_next(current)})

    def move(
        self,
        obj: models.Model,
        to: str,
        *,
        actor: Any = None,
        actor_kind: str | None = None,
        data: Mapping[str, Any] | None = None,
        event_type: str | None = None,
        update_fields: Iterable[str] = (),
        subject_id: Any = None,
    ) -> DomainEvent:
        """Move the locked `obj` to `to`: refuse what the table forbids, save, record the event.

        The event's payload is `data` plus `from` and `to` unless `data` is a full payload already (the
        area's event type decides the shape; see its event_types module).
        """
        current = getattr(obj, self.field)
        self.check(current, to)
        setattr(obj, self.field, to)
        obj.save(update_fields=[self.field, *update_fields])
        payload = {"from": current, "to": to, **(data or {})}
        return events.record(
            event_type or f"{self.subject}.{to}",
            obj.pk if subject_id is None else subject_id,
            payload,
            actor=actor,
            actor_kind=actor_kind,
        )
