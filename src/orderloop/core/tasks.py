"""Background tasks of the core area (periodic, idempotent)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from . import throttle


@task()
def prune_throttles() -> dict[str, Any]:
    """Delete guess counters nobody touched for a day (their windows and blocks are long over)."""
    return {"deleted": throttle.prune()}
