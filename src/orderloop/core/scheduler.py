"""A small periodic scheduler: enqueue registered tasks every N seconds (`manage.py run_scheduler`).

The scheduler only enqueues; the task worker (`db_worker`) runs the tasks. Every periodic task must
be idempotent, because two schedulers (or a restart) may enqueue it twice. To keep the queue short
while the worker is down, a task is not enqueued again while an earlier run of it still waits in the
database queue.

Settings: ORDERLOOP["PERIODIC_TASKS"] = {"dotted.path.to.task": seconds, ...} replaces the defaults
below; a value of 0 (or None) switches that task off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

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


ENQUEUED, SKIPPED, FAILED = "enqueued", "skipped (one is still queued)", "failed (see the log)"


@dataclass
class PeriodicTask:
    path: str
    every: float  # seconds
    next_due: float = 0.0  # on the scheduler's clock

    @property
    def task(self) -> Any:
        return import_string(self.path)


def periodic_tasks(config: Mapping[str, Any] | None = None) -> list[PeriodicTask]:
    """The registered tasks (from settings, or `config`), disabled ones left out, in path order."""
    if config is None:
        config = settings.ORDERLOOP.get("PERIODIC_TASKS", DEFAULT_PERIODIC_TASKS)
    entries = []
    for path, seconds in sorted(config.items()):
        every = float(seconds or 0)
        if every > 0:
            entries.append(PeriodicTask(path=path, every=every))
    return entries


def _waiting_in_queue(task: Any) -> bool:
    """Whether a run of this task is already queued and not started (database backend only)."""
    from orderloop.core.outbox import backend_is_transactional

    if not backend_is_transactional(getattr(task, "backend", "default")):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()


def enqueue_periodic(entry: PeriodicTask) -> bool:
    """Enqueue one run unless one is already waiting. Returns whether it enqueued."""
    task = entry.task
    if _waiting_in_queue(task):
        logger.info("scheduler: %s still waiting in the queue; not enqueued again", entry.path)
        return False
    task.enqueue()
    logger.info("scheduler: enqueued %s", entry.path)
    return True


class Scheduler:
    """Runs until `stop()` (or a signal handler calling it): each task is enqueued when due, then
    again `every` seconds later. The clock and the wait are injectable for tests."""

    def __init__(
        self,
        entries: list[PeriodicTask],
        *,
        clock: Callable[[], float] = time.monotonic,
        on_enqueue: Callable[[PeriodicTask, str], None] | None = None,
    ) -> None:
        self.entries = entries
        self.clock = clock
        self.on_enqueue = on_enqueue
        self._stop = threading.Event()

    def stop(self, *_args: Any) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run_once(self) -> int:
        """Enqueue every task now; returns how many were enqueued."""
        count = 0
        for entry in self.entries:
            count += self._fire(entry)
        return count

    def _fire(self, entry: PeriodicTask) -> bool:
        """Enqueue one task; tells `on_enqueue` the outcome: ENQUEUED, SKIPPED (one is waiting) or FAILED."""
        try:
            state = ENQUEUED if enqueue_periodic(entry) else SKIPPED
        except Exception:
            # A broken task or a database hiccup must not stop the other tasks; try again next time.
            logger.exception("scheduler: enqueueing %s failed", entry.path)
            state = FAILED
        if self.on_enqueue is not None:
            self.on_enqueue(entry, state)
        return state == ENQUEUED

    def run(self) -> None:
        start = self.clock()
        for entry in self.entries:
            entry.next_due = start
        while not self._stop.is_set():
            # A long-running process: drop a connection the database closed meanwhile (as requests do).
            close_old_connections()
            now = self.clock()
            for entry in self.entries:
                if self._stop.is_set():
                    break
                if now >= entry.next_due:
                    self._fire(entry)
                    # Keep the rhythm; after a long pause, do not fire a burst of missed runs.
                    entry.next_due = max(entry.next_due + entry.every, now)
            if not self.entries:
                self._stop.wait(1.0)
                continue
            wait = min(entry.next_due for entry in self.entries) - self.clock()
            if wait > 0:
                self._stop.wait(min(wait, 5.0))
        close_old_connections()
