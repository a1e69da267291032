"""Task workers that lose nothing: heartbeats, leases on claimed tasks, retries after database errors.

django-tasks-db's worker (`db_worker`) claims a task by marking it RUNNING with its worker id, runs it
and records the outcome. Three things could lose a task there, and this module covers each:

- **The worker dies** (`kill -9`, the machine goes away): the row would stay RUNNING for ever. Every
  worker started by `manage.py run_worker` beats (`ProcessHeartbeat`) every
  ORDERLOOP["WORKER_HEARTBEAT_SECONDS"]; a RUNNING task whose worker has not beaten for
  ORDERLOOP["TASK_LEASE_SECONDS"] (default 120) is put back to READY and runs again
  (`release_expired_leases`, called by every live worker's heartbeat thread). A task claimed by a worker
  that never beats (a plain `db_worker`) is judged by when it was claimed.
- **The worker's loop stops on a database error** (the library lets an `OperationalError` in its
  bookkeeping end the process): `run_worker` reconnects with backoff, puts back what it was running
  (`release_worker_tasks`) and carries on.
- **A task fails because the database went away under it**: the library would record it FAILED and
  never run it again. `requeue_transient_failure` puts such a task back with a growing delay, up to
  ORDERLOOP["TASK_MAX_ATTEMPTS"] attempts.

Tasks are idempotent (they record what they did under a unique key), so running one again is safe: the
promise is that every committed task runs, and its effect happens once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import django.db
import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import ProcessHeartbeat, ProcessRole

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_LEASE_SECONDS = 120.0
DEFAULT_HEARTBEAT_SECONDS = 10.0
DEFAULT_MAX_ATTEMPTS = 10
# Database errors that say nothing about the task itself: the connection or the server went away, a lock
# or serialization conflict, SQLite's "database is locked". A task that failed on one is run again.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    django.db.OperationalError,
    django.db.InterfaceError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def lease() -> timedelta:
    return timedelta(seconds=float(settings.ORDERLOOP.get("TASK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))


def heartbeat_interval() -> float:
    return float(settings.ORDERLOOP.get("WORKER_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))


def max_attempts() -> int:
    return int(settings.ORDERLOOP.get("TASK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def new_process_id() -> str:
    """Unique across machines and restarts (the library allows 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"[:64]


# --- Heartbeats ---------------------------------------------------------------------------------------


def beat(*, process_id: str, role: str, started_at: datetime) -> None:
    """Record that this process is alive (one UPDATE; the row is made on the first beat, or again after
    a long pause in which another worker removed it)."""
    now = timezone.now()
    if ProcessHeartbeat.objects.filter(process_id=process_id).update(beat_at=now):
        return
    ProcessHeartbeat.objects.update_or_create(
        process_id=process_id,
        defaults={
            "role": role,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": now,
        },
    )


def forget(process_id: str) -> None:
    """A process that stops cleanly removes its heartbeat."""
    ProcessHeartbeat.objects.filter(process_id=process_id).delete()


class Heartbeat:
    """A daemon thread that beats every `interval` seconds and, for workers, puts back the tasks of
    workers that stopped beating. A database error is logged and tried again on the next beat."""

    def __init__(self, *, process_id: str, role: str, interval: float | None = None) -> None:
        self.process_id = process_id
        self.role = role
        self.interval = heartbeat_interval() if interval is None else interval
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{process_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, self.interval * 2))

    def beat_once(self) -> None:
        # This thread's own connection: drop it when the database closed it meanwhile (as requests do).
        close_old_connections()
        try:
            beat(process_id=self.process_id, role=self.role, started_at=self.started_at)
            if self.role == ProcessRole.WORKER:
                release_expired_leases()
        finally:
            close_old_connections()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self.beat_once()
                if failing:
                    logger.warning("%s %s: heartbeat reaches the database again", self.role, self.process_id)
                failing = False
            except Exception as error:  # the database is away: say so once, keep trying
                if not failing:
                    logger.warning("%s %s: heartbeat failed: %s", self.role, self.process_id, error)
                failing = True
            self._stop.wait(self.interval)


# --- Leases -------------------------------------------------------------------------------------------


def _put_back(task_id: Any, started_at: datetime | None) -> bool:
    """RUNNING → READY, only if nobody claimed it again meanwhile (same claim time)."""
    return bool(
        DBTaskResult.objects.filter(
            pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
    )


def release_expired_leases(*, now: datetime | None = None) -> list[str]:
    """Put back every RUNNING task whose worker has not beaten for the lease time; returns their ids.

    Safe to run from any number of workers at once: each task is put back by one conditional UPDATE.
    """
    now = now or timezone.now()
    cutoff = now - lease()
    running = list(
        DBTaskResult.objects.running().order_by().values_list("id", "worker_ids", "started_at", "task_path")
    )
    if not running:
        return []
    owners = {worker_ids[-1] for _id, worker_ids, _started, _path in running if worker_ids}
    last_beat = dict(
        ProcessHeartbeat.objects.filter(process_id__in=owners).values_list("process_id", "beat_at")
    )
    released = []
    for task_id, worker_ids, started_at, task_path in running:
        owner = worker_ids[-1] if worker_ids else ""
        last_sign_of_life = last_beat.get(owner, started_at)
        if last_sign_of_life is not None and last_sign_of_life >= cutoff:
            continue
        if _put_back(task_id, started_at):
            logger.warning(
                "task %s (%s) put back in the queue: its worker %s has not beaten since %s",
                task_id,
                task_path,
                owner or "?",
                last_sign_of_life,
            )
            released.append(str(task_id))
    # Workers gone for good: their tasks are back in the queue, their rows say nothing any more (one
    # that was only paused makes its row again on its next beat).
    ProcessHeartbeat.objects.filter(role=ProcessRole.WORKER, beat_at__lt=cutoff).delete()
    return released


def release_worker_tasks(worker_id: str) -> list[str]:
    """Put back the tasks a worker left RUNNING when its loop stopped (it runs nothing now)."""
    released = []
    for task_id, worker_ids, started_at in (
        DBTaskResult.objects.running().order_by().values_list("id", "worker_ids", "started_at")
    ):
        if worker_ids and worker_ids[-1] == worker_id and _put_back(task_id, started_at):
            released.append(str(task_id))
    if released:
        logger.warning(
            "worker %s: put back %d task(s) it was running: %s", worker_id, len(released), released
        )
    return released


# --- Transient failures -------------------------------------------------------------------------------


def retry_delay(attempt: int) -> timedelta:
    """1, 2, 4 … seconds, at most 5 minutes, with a little jitter so retries do not march in step."""
    seconds = min(300.0, 2.0 ** max(0, attempt - 1))
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))


def is_transient(exception_class_path: str) -> bool:
    try:
        error_class = import_string(exception_class_path)
    except ImportError:
        return False
    return isinstance(error_class, type) and issubclass(error_class, TRANSIENT_ERRORS)


def requeue_transient_failure(task_id: Any, *, exception_class_path: str, attempts: int) -> bool:
    """A task that failed on a database error goes back to READY (after a delay) instead of staying
    FAILED, until it has been tried `max_attempts()` times. Returns whether it was put back."""
    if not is_transient(exception_class_path) or attempts >= max_attempts():
        return False
    put_back = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        started_at=None,
        finished_at=None,
        run_after=timezone.now() + retry_delay(attempts),
    )
    if put_back:
        logger.warning(
            "task %s failed on a database error (%s, attempt %d): put back to run again",
            task_id,
            exception_class_path,
            attempts,
        )
    return bool(put_back)


class TransientFailureRequeuer:
    """A `task_finished` receiver for our workers: requeues tasks that failed on a database error.

    When the database is away even for that, the task id is kept and tried again (`retry_pending`) once
    the worker has reconnected, so the failure is never left behind."""

    def __init__(self) -> None:
        self.pending: list[tuple[Any, str, int]] = []

    def __call__(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        if task_result.status != TaskResultStatus.FAILED or not task_result.errors:
            return
        failure = (task_result.id, task_result.errors[-1].exception_class_path, len(task_result.worker_ids))
        if not is_transient(failure[1]):
            return
        try:
            requeue_transient_failure(failure[0], exception_class_path=failure[1], attempts=failure[2])
        except DatabaseError:
            self.pending.append(failure)

    def retry_pending(self) -> None:
        while self.pending:
            task_id, exception_class_path, attempts = self.pending[0]
            requeue_transient_failure(task_id, exception_class_path=exception_class_path, attempts=attempts)
            self.pending.pop(0)


def live_workers(*, now: datetime | None = None) -> QuerySet[ProcessHeartbeat]:
    cutoff = (now or timezone.now()) - lease()
    return ProcessHeartbeat.objects.filter(role=ProcessRole.WORKER, beat_at__gte=cutoff)


def with_reconnect(write: Callable[[], T], *, attempts: int = 5, first_delay: float = 0.2) -> T:
    """Run a single autocommit write, reconnecting when the database connection was dropped.

    For the one write a task must not lose once an outside effect has happened (an e-mail accepted by
    the mail server → `sent_at`): failing there would run the task again and repeat the effect. Inside
    a transaction a dropped connection cannot be resumed, so there the error is raised at once."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except (django.db.OperationalError, django.db.InterfaceError):
            if attempt == attempts or django.db.connection.in_atomic_block:
                raise
            logger.warning("database connection lost during a write; reconnecting (attempt %d)", attempt)
            django.db.connection.close()
            time.sleep(first_delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
