"""Task workers lose nothing (core/workers.py): a task whose worker stopped beating is put back and runs
again, its e-mail is sent once; a task that failed because the database went away runs again; the
heartbeat thread beats and reaps. On both engines."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks.signals import task_finished
from django_tasks_db.models import DBTaskResult

from orderloop.core import workers
from orderloop.core.models import ProcessHeartbeat, ProcessRole
from orderloop.notifications import services as notifications
from orderloop.notifications.models import CustomerMessage
from tests.conftest import run_tasks

SEND = "orderloop.notifications.tasks.send_customer_message"


def message(n: int) -> CustomerMessage:
    """A queued e-mail to a customer (its sending task is enqueued with it)."""
    return notifications.customer_message_queue(
        order=None,
        event_key=f"test:{n}",
        kind="test",
        recipient=f"buyer{n}@example.com",
        language="en",
        subject=f"Message {n}",
        body="Hello",
    )


def task_of(sent: CustomerMessage) -> DBTaskResult[Any, Any]:
    return DBTaskResult.objects.get(task_path=SEND, args_kwargs__kwargs__message_id=sent.pk)


def claimed_by(worker_id: str, row: DBTaskResult[Any, Any], *, ago: timedelta) -> None:
    """As the library's worker claims a task (RUNNING, its id appended), `ago` in the past."""
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - ago)


def worker_beat(worker_id: str, *, ago: timedelta) -> None:
    workers.beat(
        process_id=worker_id, role=ProcessRole.WORKER, started_at=timezone.now() - timedelta(hours=1)
    )
    ProcessHeartbeat.objects.filter(process_id=worker_id).update(beat_at=timezone.now() - ago)


@pytest.mark.django_db(transaction=True)  # the worker closes its connection when it is done
def test_a_task_whose_worker_died_is_put_back_and_its_email_sent_once(smtp_server: Any) -> None:
    dead, alive, unknown_recent, unknown_old = (message(n) for n in range(4))
    # A worker that died (kill -9) after claiming the message for sending: no beat for 3 minutes.
    worker_beat("worker-dead", ago=timedelta(minutes=3))
    claimed_by("worker-dead", task_of(dead), ago=timedelta(minutes=3))
    CustomerMessage.objects.filter(pk=dead.pk).update(claimed_at=timezone.now() - timedelta(minutes=3))
    # A live worker busy with a long task keeps it.
    worker_beat("worker-alive", ago=timedelta(seconds=5))
    claimed_by("worker-alive", task_of(alive), ago=timedelta(minutes=10))
    # Workers that never beat (a plain db_worker): judged by when they claimed the task.
    claimed_by("plain-worker-1", task_of(unknown_recent), ago=timedelta(seconds=30))
    claimed_by("plain-worker-2", task_of(unknown_old), ago=timedelta(minutes=5))

    released = workers.release_expired_leases()

    assert sorted(released) == sorted([str(task_of(dead).pk), str(task_of(unknown_old).pk)])
    statuses = {sent.pk: task_of(sent).status for sent in (dead, alive, unknown_recent, unknown_old)}
    assert statuses == {
        dead.pk: "READY",
        alive.pk: "RUNNING",
        unknown_recent.pk: "RUNNING",
        unknown_old.pk: "READY",
    }
    # The dead worker's row is gone; the live one stays.
    assert list(ProcessHeartbeat.objects.values_list("process_id", flat=True)) == ["worker-alive"]

    DBTaskResult.objects.filter(pk__in=[task_of(alive).pk, task_of(unknown_recent).pk]).delete()
    run_tasks()
    assert sorted(str(m["To"]) for m in smtp_server.messages) == ["buyer0@example.com", "buyer3@example.com"]
    rerun = task_of(dead)
    assert rerun.status == "SUCCESSFUL" and rerun.return_value is True
    assert rerun.worker_ids[0] == "worker-dead" and len(rerun.worker_ids) == 2
    dead.refresh_from_db()
    assert dead.sent_at is not None and dead.attempts == 1
    # Run again (a duplicate task, a second worker): nothing more is sent.
    run_tasks()
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_a_rerun_that_finds_a_fresh_claim_looks_again_when_the_claim_goes_stale(
    settings: Any, smtp_server: Any
) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "TASK_LEASE_SECONDS": 1.5}
    sent = message(1)
    # The dead worker claimed the message a moment ago: the rerun may not take it over yet ...
    claimed_at = timezone.now()
    CustomerMessage.objects.filter(pk=sent.pk).update(claimed_at=claimed_at)
    run_tasks()
    assert smtp_server.messages == []
    later = DBTaskResult.objects.filter(task_path=SEND, status="READY")
    assert [row.run_after for row in later] == [claimed_at + timedelta(seconds=1.5)]
    # ... but does not give it up: once the claim is stale, the message goes out, once.
    time.sleep(max(0.0, (claimed_at + timedelta(seconds=1.6) - timezone.now()).total_seconds()))
    run_tasks()
    assert [str(m["To"]) for m in smtp_server.messages] == ["buyer1@example.com"]
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_that_failed_on_a_database_error_runs_again(monkeypatch: Any, smtp_server: Any) -> None:
    sent = message(1)
    broken = message(2)
    calls = {"n": 0}
    original = notifications.customer_message_send

    def flaky(*, message_id: int) -> bool:
        if message_id == sent.pk and calls["n"] == 0:
            calls["n"] += 1
            raise OperationalError("terminating connection due to administrator command")
        if message_id == broken.pk:
            raise ValueError("a bug, not the database")
        return original(message_id=message_id)

    monkeypatch.setattr("orderloop.notifications.tasks.customer_message_send", flaky)
    requeuer = workers.TransientFailureRequeuer()
    task_finished.connect(requeuer)
    try:
        run_tasks()
        retried = task_of(sent)
        assert retried.status == "READY" and retried.run_after > timezone.now()
        assert retried.exception_class_path == "django.db.utils.OperationalError"
        assert task_of(broken).status == "FAILED"  # a bug is not retried
        DBTaskResult.objects.filter(pk=retried.pk).update(run_after=timezone.now())
        run_tasks()
    finally:
        task_finished.disconnect(requeuer)
    assert task_of(sent).status == "SUCCESSFUL"
    assert [str(m["To"]) for m in smtp_server.messages] == ["buyer1@example.com"]


@pytest.mark.django_db
def test_retries_of_database_failures_stop_after_the_attempts_setting(settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "TASK_MAX_ATTEMPTS": 3}
    row = task_of(message(1))
    DBTaskResult.objects.filter(pk=row.pk).update(status="FAILED")
    error = "django.db.utils.OperationalError"
    assert workers.requeue_transient_failure(row.pk, exception_class_path=error, attempts=2)
    DBTaskResult.objects.filter(pk=row.pk).update(status="FAILED")
    assert not workers.requeue_transient_failure(row.pk, exception_class_path=error, attempts=3)
    assert not workers.requeue_transient_failure(
        row.pk, exception_class_path="builtins.ValueError", attempts=1
    )
    assert workers.is_transient("psycopg.errors.AdminShutdown") and workers.is_transient(
        "sqlite3.OperationalError"
    )
    assert not workers.is_transient("django.db.utils.IntegrityError")
    assert DBTaskResult.objects.get(pk=row.pk).status == "FAILED"


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_and_puts_back_the_tasks_of_dead_workers(settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "TASK_LEASE_SECONDS": 60}
    orphan = task_of(message(1))
    worker_beat("worker-dead", ago=timedelta(minutes=2))
    claimed_by("worker-dead", orphan, ago=timedelta(minutes=2))
    heartbeat = workers.Heartbeat(process_id="worker-live", role=ProcessRole.WORKER, interval=0.05)
    heartbeat.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and DBTaskResult.objects.get(pk=orphan.pk).status != "READY":
            time.sleep(0.05)
        first = ProcessHeartbeat.objects.get(process_id="worker-live").beat_at
        time.sleep(0.3)
        assert ProcessHeartbeat.objects.get(process_id="worker-live").beat_at > first
    finally:
        heartbeat.stop()
    assert DBTaskResult.objects.get(pk=orphan.pk).status == "READY"
    assert [w.process_id for w in workers.live_workers()] == ["worker-live"]
