"""The audit trail of master data (django-simple-history): prices (variants), coupons, supplier prices,
delivery and payment methods, return policies, roles (groups and who holds them) and API tokens.

Every save of a registered model writes a historical row: the values after the change, when, who
(`history_user`) and how (`history_via`: a page, an API token, a command or task). Who is, in order:
the actor a service was given (`acting`), the request's user (pages, and API calls, whose user is the
token's), else nobody (a command or task without an actor is shown as "system"). Pages show the rows
as "who changed what, when, from what to what" (`entries`, the `_history.html` panel).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_actor: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar("history_actor", default=None)


@contextlib.contextmanager
def acting(actor: Any, via: str = "") -> Iterator[None]:
    """Record changes made inside the block as `actor`'s (a user, or None for the system), arrived `via`
    (e.g. "setup_roles"); what the request says is used for whatever this leaves open."""
    token = _actor.set((actor, via))
    try:
        yield
    finally:
        _actor.reset(token)


def _current_request() -> HttpRequest | None:
    return getattr(HistoricalRecords.context, "request", None)


def history_user(instance: Any = None, request: HttpRequest | None = None, **kwargs: Any) -> Any:
    """simple-history's `get_user`: the acting user of the change being recorded."""
    given = _actor.get()
    if given is not None and getattr(given[0], "pk", None) is not None:
        return given[0]
    request = request or _current_request()
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _via() -> str:
    given = _actor.get()
    if given is not None and given[1]:
        return given[1]
    request = _current_request()
    if request is None:
        # A service given its actor outside a request (a task, a command): the actor says enough.
        return "" if given is not None and given[0] is not None else "system"
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"api:{token.prefix}"
    return "page"


@receiver(pre_create_historical_record)
def _note_how(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "history_via") and not history_instance.history_via:
        history_instance.history_via = _via()[:60]


# --- Reading the trail ----------------------------------------------------------------------------------

ACTIONS = {
    "+": pgettext_lazy("history action", "created"),
    "~": pgettext_lazy("history action", "changed"),
    "-": pgettext_lazy("history action", "deleted"),
}


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    # Many-to-many fields (a role's permissions, a user's roles, a policy's categories): what came and went
    # (the first few by name, and how many more).
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added_more: int = 0
    removed_more: int = 0


SHOWN_BY_NAME = 8


@dataclass
class Entry:
    when: datetime
    who: str
    via: str
    action: str
    subject: str
    changes: list[FieldChange] = field(default_factory=list)


def _via_label(via: str) -> str:
    if via.startswith("api:"):
        return _("API token %(prefix)s…") % {"prefix": via[4:]}
    # "system" is already said by who made it.
    return {"page": _("back office"), "system": "", "": ""}.get(via, via)


def _m2m_change(model_field: models.ManyToManyField, old: Any, new: Any) -> FieldChange | None:
    """The rows of a many-to-many field that came and went between two historical rows, by name."""
    target = model_field.m2m_reverse_field_name()

    def ids(rows: Any) -> set[Any]:
        return {row.get(target) for row in rows or [] if isinstance(row, dict)}

    before, after = ids(old), ids(new)
    if before == after:
        return None
    related = model_field.related_model
    added_ids, removed_ids = sorted(after - before), sorted(before - after)
    shown = added_ids[:SHOWN_BY_NAME] + removed_ids[:SHOWN_BY_NAME]
    names = {obj.pk: _name(obj) for obj in related._default_manager.filter(pk__in=shown)}
    return FieldChange(
        label=str(model_field.verbose_name),
        added=sorted(names.get(pk, str(pk)) for pk in added_ids[:SHOWN_BY_NAME]),
        removed=sorted(names.get(pk, str(pk)) for pk in removed_ids[:SHOWN_BY_NAME]),
        added_more=max(len(added_ids) - SHOWN_BY_NAME, 0),
        removed_more=max(len(removed_ids) - SHOWN_BY_NAME, 0),
    )


def _name(obj: Any) -> str:
    """A related row by name; a role (group) by its label in the reader's language."""
    from .roles import ROLE_LABELS

    if isinstance(obj, Group):
        return str(ROLE_LABELS.get(obj.name, obj.name))
    return str(obj)


def _display(record: Any, field_name: str, value: Any) -> str:
    """A value as a person reads it: choices by label, related rows by name."""
    if value is None or value == "":
        return "—"
    try:
        model_field = record.instance_type._meta.get_field(field_name)
    except Exception:  # a column the model no longer has
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        obj = model_field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj is not None else str(value)
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        from django.utils import formats, timezone

        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return str(value)


def _model_field(record: Any, field_name: str) -> Any:
    try:
        return record.instance_type._meta.get_field(field_name)
    except Exception:
        return None


def _label(record: Any, field_name: str) -> str:
    try:
        return str(record.instance_type._meta.get_field(field_name).verbose_name)
    except Exception:
        return field_name


def entries(records: Iterable[Any], *, subject: Any = None, limit: int = 50) -> list[Entry]:
    """Historical rows (of one or several objects) as entries, newest first: each with its field
    changes against the object's previous row. Saves that changed nothing shown here are left out."""
    rows = sorted(records, key=lambda r: (r.history_date, r.history_id), reverse=True)
    result: list[Entry] = []
    for record in rows:
        previous = record.prev_record
        changes: list[FieldChange] = []
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                model_field = _model_field(record, change.field)
                if isinstance(model_field, models.ManyToManyField):
                    m2m = _m2m_change(model_field, change.old, change.new)
                    if m2m is not None:
                        changes.append(m2m)
                    continue
                old, new = (
                    _display(record, change.field, change.old),
                    _display(record, change.field, change.new),
                )
                if old != new:
                    changes.append(FieldChange(_label(record, change.field), old, new))
            if not changes:
                continue
        user = record.history_user
        result.append(
            Entry(
                when=record.history_date,
                who=user.get_username() if user is not None else _("system"),
                via=_via_label(getattr(record, "history_via", "")),
                action=str(ACTIONS.get(record.history_type, record.history_type)),
                subject=str(subject(record) if callable(subject) else record.instance),
                changes=changes,
            )
        )
        if len(result) >= limit:
            break
    return result
