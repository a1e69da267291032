"""The task backend: django-tasks-db's, with the task row written by one hand-written INSERT.

Every order placement enqueues its confirmation, and the ORM's `create()` of that row was the largest
single cost left in a placement (docs/benchmarks.md). The row, its defaults and the returned result are
those of django-tasks-db; only the statement is built by core/fastsql, and `enqueue` builds the result
once (the library builds it twice, for the signal and for the caller, each time importing the task and
copying it; here the result holds the task it was given). The worker (`db_worker`) and the rest of the
backend are django-tasks-db's own; tests/core/test_task_backend.py compares the rows and the results.
"""

from __future__ import annotations

from typing import Any

from django_tasks.signals import task_enqueued
from django_tasks_db.backend import DatabaseBackend as _DatabaseBackend
from django_tasks_db.backend import TaskResult
from django_tasks_db.compat import TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import normalize_uuid

from . import fastsql


class DatabaseBackend(_DatabaseBackend):
    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._valid_tasks: set[Any] = set()

    def validate_task(self, task: Any) -> None:
        """The library's checks, once per task: a task is a frozen value and the checks read only it and
        this backend's options (each placement enqueues the same confirmation task)."""
        if task not in self._valid_tasks:
            super().validate_task(task)
            self._valid_tasks.add(task)

    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult[Any, Any]:
        row: DBTaskResult[Any, Any] = fastsql.new(
            DBTaskResult,
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # django-tasks-db's pre_save handler does this for the ORM's save; fastsql sends no signals.
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        fastsql.insert([row])
        return row

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        row = self._task_to_db_task(task, args, kwargs)
        # The result DBTaskResult.task_result builds for a new row, with the task itself: that property
        # imports the task by its path and copies it with the values just taken from it.
        result: Any = TaskResult(
            db_result=row,
            task=task,
            id=normalize_uuid(row.id),
            status=TaskResultStatus[row.status],
            enqueued_at=row.enqueued_at,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=row.args_kwargs["args"],
            kwargs=row.args_kwargs["kwargs"],
            backend=row.backend_name,
            errors=[],
            worker_ids=row.worker_ids,
        )
        object.__setattr__(result, "_return_value", row.return_value)
        task_enqueued.send(type(self), task_result=result)
        return result
