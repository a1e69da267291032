"""The periodic scheduler: enqueue registered tasks every N seconds (`manage.py run_scheduler`).

The scheduler only enqueues; the task workers (`run_worker`) run the tasks. When each task is next due
is kept in the database (`PeriodicJob`), and a scheduler takes a period by moving `next_run_at` on in
the same transaction that enqueues the run (the row locked; SQLite's writers queue anyway). So any
number of schedulers may run — on several machines, or a second one started by mistake — and each period
is enqueued exactly once; a restarted scheduler keeps the rhythm instead of firing everything again.
To keep the queue short while the workers are down, a task is not enqueued again while an earlier run of
it still waits in the queue (that period is then skipped).

Every tick is recorded as the scheduler's heartbeat (`ProcessHeartbeat`, role "scheduler"): the health
endpoint reports the last one. A database error ends no scheduler: it waits (with backoff) and goes on.

Why not django-crontask (docs/operations.md): it needs Python 3.12+ and Django 6's `django.tasks`, and
its only lock is a Redis one; this one needs nothing but the database.

Settings: ORDERLOOP["PERIODIC_TASKS"] = {"dotted.path.to.task": seconds, ...} replaces the defaults
below, ORDERLOOP["PERIODIC_TASK_OVERRIDES"] (environment variable PERIODIC_TASK_SECONDS, JSON) changes
single intervals; a value of 0 (or None) switches that task off. ORDERLOOP["SCHEDULER_POLL_SECONDS"]
(default 5) is how often the scheduler looks for due tasks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PeriodicJob, ProcessHeartbeat, ProcessRole
from .workers import beat, new_process_id

logger = logging.getLogger(__name__)

DEFAULT_PERIODIC_TASKS: dict[str, float] = {
    "orderloop.core.tasks.prune_throttles": 3600,
    "orderloop.orders.tasks.check_sla": 60,
    "orderloop.orders.tasks.expire_unpaid_orders": 60,
    "orderloop.purchasing.tasks.check_low_stock": 300,
    "orderloop.returns.tasks.check_refund_sla": 300,
    "orderloop.returns.tasks.refresh_return_tracking": 900,
    "orderloop.shipping.tasks.poll_tracking": 900,
}
DEFAULT_POLL_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 30.0

ENQUEUED, SKIPPED, FAILED = "enqueued", "skipped (one is still queued)", "failed (see the log)"
NOT_DUE = "not due (another scheduler took this period)"
OUTCOME_CODES = {ENQUEUED: "enqueued", SKIPPED: "skipped", FAILED: "failed"}


@dataclass
class PeriodicTask:
    path: str
    every: float  # seconds

    @property
    def task(self) -> Any:
        return import_string(self.path)


def periodic_tasks(config: Mapping[str, Any] | None = None) -> list[PeriodicTask]:
    """The registered tasks (from settings, or `config`), disabled ones left out, in path order."""
    if config is None:
        config = {
            **settings.ORDERLOOP.get("PERIODIC_TASKS", DEFAULT_PERIODIC_TASKS),
            **settings.ORDERLOOP.get("PERIODIC_TASK_OVERRIDES", {}),
        }
    entries = []
    for path, seconds in sorted(config.items()):
        every = float(seconds or 0)
        if every > 0:
            entries.append(PeriodicTask(path=path, every=every))
    return entries


def poll_seconds() -> float:
    return float(settings.ORDERLOOP.get("SCHEDULER_POLL_SECONDS", DEFAULT_POLL_SECONDS))


def _waiting_in_queue(task: Any) -> bool:
    """Whether a run of this task is already queued and not started (database backend only)."""
    from orderloop.core.outbox import backend_is_transactional

    if not backend_is_transactional(getattr(task, "backend", "default")):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()


def enqueue_periodic(entry: PeriodicTask) -> bool:
    """Enqueue one run in the current transaction unless one is already waiting. Returns whether it
    enqueued."""
    from orderloop.core.outbox import enqueue_with_transaction

    task = entry.task
    if _waiting_in_queue(task):
        logger.info("scheduler: %s still waiting in the queue; not enqueued again", entry.path)
        return False
    enqueue_with_transaction(task)
    logger.info("scheduler: enqueued %s", entry.path)
    return True


def ensure_jobs(entries: list[PeriodicTask], *, now: datetime) -> None:
    """A row per registered task; a new one is due at once."""
    PeriodicJob.objects.bulk_create(
        [PeriodicJob(path=entry.path, next_run_at=now) for entry in entries], ignore_conflicts=True
    )


def take_period(entry: PeriodicTask, *, now: datetime, scheduler_id: str, force: bool = False) -> str:
    """If `entry` is due (or `force`), take this period and enqueue its run, in one transaction.
    Returns ENQUEUED, SKIPPED (a run still waits) or NOT_DUE (not due, or another scheduler took it)."""
    every = timedelta(seconds=entry.every)
    with transaction.atomic():
        job = PeriodicJob.objects.select_for_update().filter(path=entry.path).first()
        if job is None:
            ensure_jobs([entry], now=now)
            job = PeriodicJob.objects.select_for_update().get(path=entry.path)
        if job.next_run_at > now and not force:
            return NOT_DUE
        # Keep the rhythm; after a long pause (or a forced run) the next run is one interval from now.
        next_run_at = job.next_run_at + every
        if next_run_at <= now or force:
            next_run_at = now + every
        state = ENQUEUED if enqueue_periodic(entry) else SKIPPED
        PeriodicJob.objects.filter(pk=job.pk).update(
            next_run_at=next_run_at,
            last_run_at=now,
            last_outcome=OUTCOME_CODES[state],
            last_scheduler=scheduler_id,
        )
    return state


def last_tick() -> datetime | None:
    """When a scheduler last looked for due tasks (None: no scheduler has run)."""
    return (
        ProcessHeartbeat.objects.filter(role=ProcessRole.SCHEDULER)
        .order_by("-beat_at")
        .values_list("beat_at", flat=True)
        .first()
    )


class Scheduler:
    """Runs until `stop()` (or a signal handler calling it): every `poll` seconds it records a tick and
    enqueues the tasks that are due. The clock is injectable for tests."""

    def __init__(
        self,
        entries: list[PeriodicTask],
        *,
        scheduler_id: str | None = None,
        poll: float | None = None,
        now: Callable[[], datetime] = timezone.now,
        on_enqueue: Callable[[PeriodicTask, str], None] | None = None,
    ) -> None:
        self.entries = entries
        self.scheduler_id = scheduler_id or new_process_id()
        self.poll = poll_seconds() if poll is None else poll
        self.now = now
        self.on_enqueue = on_enqueue
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._jobs_ready = False

    def stop(self, *_args: Any) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def tick(self, *, force: bool = False) -> int:
        """Record the tick, enqueue what is due (everything, with `force`); returns how many were
        enqueued. A database error on the way out is the caller's to handle."""
        now = self.now()
        if not self._jobs_ready:
            ensure_jobs(self.entries, now=now)
            # Stopped schedulers keep their last tick for the health endpoint; forget the old ones.
            ProcessHeartbeat.objects.filter(
                role=ProcessRole.SCHEDULER, beat_at__lt=now - timedelta(days=1)
            ).delete()
            self._jobs_ready = True
        beat(process_id=self.scheduler_id, role=ProcessRole.SCHEDULER, started_at=self.started_at)
        if force:
            due = {entry.path for entry in self.entries}
        else:
            due = set(
                PeriodicJob.objects.filter(
                    path__in=[entry.path for entry in self.entries], next_run_at__lte=now
                ).values_list("path", flat=True)
            )
        count = 0
        for entry in self.entries:
            if self._stop.is_set():
                break
            if entry.path in due:
                count += self._fire(entry, now=now, force=force)
        return count

    def run_once(self, *, force: bool = False) -> int:
        """One tick (cron-style use): enqueues what is due, or every task with `force`."""
        return self.tick(force=force)

    def _fire(self, entry: PeriodicTask, *, now: datetime, force: bool) -> bool:
        try:
            state = take_period(entry, now=now, scheduler_id=self.scheduler_id, force=force)
        except Exception:
            # A broken task or a database hiccup must not stop the other tasks; try again next time.
            logger.exception("scheduler: enqueueing %s failed", entry.path)
            state = FAILED
        if self.on_enqueue is not None:
            self.on_enqueue(entry, state)
        return state == ENQUEUED

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            # A long-running process: drop a connection the database closed meanwhile (as requests do).
            close_old_connections()
            try:
                self.tick()
                if failures:
                    logger.warning("scheduler %s: the database is back; carrying on", self.scheduler_id)
                failures = 0
                wait = self.poll
            except DatabaseError as error:
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, max(self.poll, 0.5) * 2 ** (failures - 1))
                logger.warning(
                    "scheduler %s: database error (%s); trying again in %.1f s",
                    self.scheduler_id,
                    str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__,
                    wait,
                )
                connections.close_all()
            self._stop.wait(wait)
        # The heartbeat row stays: the health endpoint reports when a scheduler last ticked.
        close_old_connections()
