"""Background tasks of shipping: take ids, re-fetch, idempotent (events are unique per carrier event)."""

from __future__ import annotations

from django_tasks import task

from .services import shipments_poll


@task()
def poll_tracking() -> dict[str, int]:
    """Ask the carriers about every parcel on the way (registered in core/scheduler.py)."""
    result = shipments_poll()
    return {
        "applied": result.applied,
        "recorded": result.recorded,
        "duplicates": result.duplicates,
        "unknown_codes": result.unknown_codes,
    }
