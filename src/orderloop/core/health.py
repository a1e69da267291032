"""System health: the database, the task queue's backlog, the workers and the scheduler.

`GET /health/` answers JSON, 200 when everything is healthy and 503 otherwise, for a load balancer or a
monitor; `manage.py queue_status` prints the same figures and more for a person. Thresholds are settings
(ORDERLOOP["HEALTH_MAX_TASK_WAIT_SECONDS"], ORDERLOOP["HEALTH_MAX_SCHEDULER_SILENCE_SECONDS"]).

A small view rather than django-health-check (docs/operations.md): that library's releases since 4.9
need Python 3.14, and every check we need but the database one is our own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max

from .scheduler import last_tick
from .workers import live_workers


@dataclass(frozen=True)
class Backlog:
    ready: int
    running: int
    oldest_wait_seconds: float | None  # of the task that has waited longest to run (None: nothing waits)


def task_backlog(*, now: datetime | None = None) -> Backlog:
    """How many tasks wait to run, how many run, and how long the oldest has waited (a task with a start
    time waits from then, others from when they were enqueued)."""
    now = now or timezone.now()
    ready = DBTaskResult.objects.ready()
    no_start = ready.filter(run_after=get_date_max()).aggregate(oldest=Min("enqueued_at"))["oldest"]
    started = ready.exclude(run_after=get_date_max()).aggregate(oldest=Min("run_after"))["oldest"]
    waiting_since = min((moment for moment in (no_start, started) if moment is not None), default=None)
    return Backlog(
        ready=ready.count(),
        running=DBTaskResult.objects.running().count(),
        oldest_wait_seconds=None
        if waiting_since is None
        else max(0.0, (now - waiting_since).total_seconds()),
    )


def _limits() -> tuple[float, float]:
    return (
        float(settings.ORDERLOOP.get("HEALTH_MAX_TASK_WAIT_SECONDS", 300)),
        float(settings.ORDERLOOP.get("HEALTH_MAX_SCHEDULER_SILENCE_SECONDS", 120)),
    )


def system_health() -> dict[str, Any]:
    """Every check with its figures and `ok`; the whole is healthy when every check is."""
    now = timezone.now()
    max_wait, max_silence = _limits()
    checks: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        message = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        checks["database"] = {"ok": False, "error": message}
        unknown = {"ok": False, "error": "the database is unavailable"}
        checks.update(task_queue=dict(unknown), workers=dict(unknown), scheduler=dict(unknown))
        return {"healthy": False, "checked_at": now.isoformat(), "checks": checks}
    checks["database"] = {"ok": True, "seconds": round(time.perf_counter() - started, 4)}

    backlog = task_backlog(now=now)
    checks["task_queue"] = {
        "ok": backlog.oldest_wait_seconds is None or backlog.oldest_wait_seconds <= max_wait,
        "ready": backlog.ready,
        "running": backlog.running,
        "oldest_wait_seconds": None
        if backlog.oldest_wait_seconds is None
        else round(backlog.oldest_wait_seconds, 1),
        "max_wait_seconds": max_wait,
    }
    alive = list(live_workers(now=now).values_list("process_id", flat=True))
    checks["workers"] = {"ok": bool(alive), "alive": len(alive)}
    tick = last_tick()
    silence = None if tick is None else max(0.0, (now - tick).total_seconds())
    checks["scheduler"] = {
        "ok": silence is not None and silence <= max_silence,
        "last_tick": None if tick is None else tick.isoformat(),
        "seconds_since_tick": None if silence is None else round(silence, 1),
        "max_silence_seconds": max_silence,
    }
    return {
        "healthy": all(check["ok"] for check in checks.values()),
        "checked_at": now.isoformat(),
        "checks": checks,
    }


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = system_health()
    return JsonResponse(
        {"status": "ok" if report["healthy"] else "unhealthy", **report},
        status=200 if report["healthy"] else 503,
    )
