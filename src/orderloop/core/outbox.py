"""Enqueue background tasks so they commit (or roll back) with the business change that caused them.

With the database task backend the task row is written inside the caller's transaction: the queue is an
outbox, so nothing is sent for a rolled-back change and nothing is lost for a committed one (a crash
between commit and enqueue cannot happen). Other backends (e.g. Redis for scale-out) are outside the
database, so there the task is handed over only after the commit.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend


def backend_is_transactional(alias: str = "default") -> bool:
    return isinstance(task_backends[alias], DatabaseBackend)


def enqueue_with_transaction(task: Any, **kwargs: Any) -> None:
    """Enqueue `task(**kwargs)` as part of the current transaction (see the module docstring)."""
    backend = task.get_backend()
    if isinstance(backend, DatabaseBackend):
        backend.enqueue(task, (), kwargs)  # what task.enqueue(**kwargs) does, the backend looked up once
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs))
