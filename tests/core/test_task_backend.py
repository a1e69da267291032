"""The task backend (core/task_backend.py) writes the row django-tasks-db's own backend writes, and the
worker runs it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from orderloop.core.task_backend import DatabaseBackend
from orderloop.notifications.tasks import send_customer_message
from tests.conftest import run_tasks

COMPARED = [f.attname for f in DBTaskResult._meta.concrete_fields if f.attname not in ("id", "enqueued_at")]


def _stored(result: Any) -> dict[str, Any]:
    row = DBTaskResult.objects.get(pk=result.id)
    return {name: getattr(row, name) for name in COMPARED}


def test_the_row_is_the_one_the_library_writes(db: Any) -> None:
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    with transaction.atomic():
        ours = send_customer_message.enqueue(message_id=7)
        theirs = LibraryBackend.enqueue(backend, send_customer_message, (), {"message_id": 7})
    assert _stored(ours) == _stored(theirs)
    assert _stored(ours)["status"] == "READY" and _stored(ours)["args_kwargs"] == {
        "args": [],
        "kwargs": {"message_id": 7},
    }
    assert ours.status == theirs.status and ours.kwargs == {"message_id": 7}
    assert (ours.task, ours.backend, ours.args) == (theirs.task, theirs.backend, theirs.args)
    # The result returned is the one the library builds from the stored row.
    stored = DBTaskResult.objects.get(pk=ours.id).task_result
    fields = (
        "id",
        "status",
        "enqueued_at",
        "started_at",
        "last_attempted_at",
        "finished_at",
        "args",
        "kwargs",
    )
    assert [getattr(ours, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert (ours.task, ours.backend, ours.errors, ours.worker_ids) == (
        stored.task,
        stored.backend,
        stored.errors,
        stored.worker_ids,
    )
    assert ours.db_result.pk == stored.db_result.pk and not ours.is_finished
    # A task's own priority and start time are kept (without one, the library stores the far future).
    start = timezone.now() + timedelta(hours=1)
    later = send_customer_message.using(priority=5, run_after=start).enqueue(message_id=8)
    assert (_stored(later)["priority"], _stored(later)["run_after"]) == (5, start)
    assert _stored(ours)["run_after"] == get_date_max()


def test_enqueueing_announces_the_result_it_returns(db: Any) -> None:
    from django_tasks.signals import task_enqueued

    announced: list[Any] = []

    def receiver(sender: Any, task_result: Any, **kwargs: Any) -> None:
        announced.append(task_result)

    task_enqueued.connect(receiver)
    try:
        result = send_customer_message.enqueue(message_id=9)
    finally:
        task_enqueued.disconnect(receiver)
    assert len(announced) == 1 and announced[0].id == result.id and announced[0].kwargs == {"message_id": 9}


@pytest.mark.django_db(transaction=True)  # the worker closes its connection when it is done
def test_the_worker_runs_what_was_enqueued() -> None:
    result = send_customer_message.enqueue(message_id=987654)  # no such message: nothing to send
    run_tasks()
    finished = DBTaskResult.objects.get(pk=result.id)
    assert (finished.status, finished.return_value) == ("SUCCESSFUL", False)
    assert finished.finished_at is not None


def test_an_invalid_task_is_refused_every_time(db: Any) -> None:
    """Validation is remembered only for tasks that passed it."""
    from django_tasks.exceptions import InvalidTaskError

    for _attempt in range(2):
        with pytest.raises(InvalidTaskError, match="Queue 'nowhere' is not valid"):
            send_customer_message.using(queue_name="nowhere").enqueue(message_id=1)
    assert not DBTaskResult.objects.exists()
    send_customer_message.enqueue(message_id=1)
    send_customer_message.enqueue(message_id=2)
    assert DBTaskResult.objects.count() == 2
