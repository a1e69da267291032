"""The periodic scheduler (core/scheduler.py, `manage.py run_scheduler`): enqueues the SLA check and
the payment expiry (and every other registered task), each period once however many schedulers run,
does not pile up runs while one still waits, survives database errors and stops cleanly on a signal."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.core import scheduler
from orderloop.core.models import PeriodicJob, ProcessHeartbeat
from orderloop.core.scheduler import PeriodicTask, Scheduler, last_tick, periodic_tasks

ROOT = Path(__file__).resolve().parents[2]
SLA = "orderloop.orders.tasks.check_sla"
EXPIRY = "orderloop.orders.tasks.expire_unpaid_orders"
LOW_STOCK = "orderloop.purchasing.tasks.check_low_stock"
REFUND_SLA = "orderloop.returns.tasks.check_refund_sla"
POLL_TRACKING = "orderloop.shipping.tasks.poll_tracking"
RETURN_TRACKING = "orderloop.returns.tasks.refresh_return_tracking"
PRUNE_THROTTLES = "orderloop.core.tasks.prune_throttles"


def test_the_registry_has_both_rules_every_minute_and_settings_replace_it(settings):
    assert [(e.path, e.every) for e in periodic_tasks()] == [
        (PRUNE_THROTTLES, 3600.0),
        (SLA, 60.0),
        (EXPIRY, 60.0),
        (LOW_STOCK, 300.0),
        (REFUND_SLA, 300.0),
        (RETURN_TRACKING, 900.0),
        (POLL_TRACKING, 900.0),
    ]
    assert [(e.path, e.every) for e in periodic_tasks({SLA: 5, EXPIRY: 0})] == [(SLA, 5.0)]
    with override_settings(ORDERLOOP={"PERIODIC_TASKS": {EXPIRY: 30}}):
        assert [(e.path, e.every) for e in periodic_tasks()] == [(EXPIRY, 30.0)]
    # Single intervals changed (environment PERIODIC_TASK_SECONDS), the others kept.
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PERIODIC_TASK_OVERRIDES": {EXPIRY: 2, LOW_STOCK: 0}}
    assert [(e.path, e.every) for e in periodic_tasks()] == [
        (PRUNE_THROTTLES, 3600.0),
        (SLA, 60.0),
        (EXPIRY, 2.0),
        (REFUND_SLA, 300.0),
        (RETURN_TRACKING, 900.0),
        (POLL_TRACKING, 900.0),
    ]


@pytest.mark.django_db
def test_once_enqueues_what_is_due_and_does_not_pile_up_while_one_waits():
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == sorted(
        [PRUNE_THROTTLES, SLA, EXPIRY, LOW_STOCK, REFUND_SLA, RETURN_TRACKING, POLL_TRACKING]
    )
    assert f"{SLA}: enqueued" in out.getvalue()
    # This period was taken: nothing is due a moment later.
    again = StringIO()
    call_command("run_scheduler", "--once", stdout=again)
    assert again.getvalue() == "" and DBTaskResult.objects.count() == 7
    # Forced, a run that still waits is not doubled.
    forced = StringIO()
    call_command("run_scheduler", "--once", "--force", "--only", SLA, stdout=forced)
    assert "skipped" in forced.getvalue()
    assert DBTaskResult.objects.count() == 7
    # Once the worker ran it, the next forced run enqueues again.
    DBTaskResult.objects.filter(task_path=SLA).update(status="SUCCESSFUL")
    call_command("run_scheduler", "--once", "--force", "--only", SLA, stdout=StringIO())
    assert DBTaskResult.objects.filter(task_path=SLA).count() == 2


@pytest.mark.django_db
def test_a_period_is_taken_once_however_many_schedulers_and_restarts():
    clock = {"now": timezone.now()}
    entries = [PeriodicTask(SLA, every=60), PeriodicTask(LOW_STOCK, every=300)]

    def scheduler() -> Scheduler:
        return Scheduler(entries, now=lambda: clock["now"])

    first, second = scheduler(), scheduler()
    assert first.tick() == 2
    assert second.tick() == 0  # same moment: the period is already taken
    DBTaskResult.objects.update(status="SUCCESSFUL")  # the worker ran them

    clock["now"] += timedelta(seconds=30)
    assert scheduler().tick() == 0  # a restarted scheduler keeps the rhythm: nothing fires again
    clock["now"] += timedelta(seconds=31)
    assert second.tick() == 1 and first.tick() == 0  # the SLA check is due again, once
    assert DBTaskResult.objects.filter(task_path=SLA).count() == 2
    assert DBTaskResult.objects.filter(task_path=LOW_STOCK).count() == 1
    job = PeriodicJob.objects.get(path=SLA)
    assert job.last_outcome == "enqueued" and job.last_scheduler == second.scheduler_id
    # Both schedulers recorded their ticks (the health endpoint reads the last one).
    assert ProcessHeartbeat.objects.filter(role="scheduler").count() == 3
    assert last_tick() is not None


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_running_side_by_side_fire_each_period_once():
    """Two scheduler loops in threads on the real database: every period of a fast task is taken by one
    of them, never by both (consecutive runs are at least an interval apart)."""
    every = 0.4
    fired: list[tuple[str, str, float]] = []
    lock = threading.Lock()

    def record(entry: PeriodicTask, state: str) -> None:
        with lock:
            fired.append((entry.path, state, time.monotonic()))

    loops = [Scheduler([PeriodicTask(SLA, every=every)], poll=0.05, on_enqueue=record) for _ in range(2)]
    threads = [threading.Thread(target=loop.run) for loop in loops]
    for thread in threads:
        thread.start()
    time.sleep(2.2)
    for loop in loops:
        loop.stop()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    taken = [moment for _path, state, moment in fired if state in (scheduler.ENQUEUED, scheduler.SKIPPED)]
    assert 4 <= len(taken) <= 7, fired
    gaps = [later - earlier for earlier, later in itertools.pairwise(taken)]
    assert min(gaps) >= every * 0.75, gaps  # never two runs for one period
    assert [state for _path, state, _moment in fired].count(scheduler.ENQUEUED) == 1  # the rest waited


@pytest.mark.django_db(transaction=True)
def test_an_enqueued_run_is_executed_by_the_worker():
    call_command("run_scheduler", "--once", stdout=StringIO())
    call_command(
        "db_worker",
        "--batch",
        "--queue-name",
        "*",
        "--no-startup-delay",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    results = dict(DBTaskResult.objects.values_list("task_path", "status"))
    assert results == {
        PRUNE_THROTTLES: "SUCCESSFUL",
        SLA: "SUCCESSFUL",
        EXPIRY: "SUCCESSFUL",
        LOW_STOCK: "SUCCESSFUL",
        REFUND_SLA: "SUCCESSFUL",
        RETURN_TRACKING: "SUCCESSFUL",
        POLL_TRACKING: "SUCCESSFUL",
    }


@pytest.mark.django_db
def test_a_failing_enqueue_does_not_stop_the_others_and_its_period_stays_due(monkeypatch):
    seen: list[tuple[str, str]] = []
    original = scheduler.enqueue_periodic

    def enqueue(entry: PeriodicTask) -> bool:
        if entry.path == EXPIRY:
            raise RuntimeError("broken task")
        return original(entry)

    monkeypatch.setattr(scheduler, "enqueue_periodic", enqueue)
    loop = Scheduler(
        [PeriodicTask(EXPIRY, every=60), PeriodicTask(SLA, every=60)],
        on_enqueue=lambda entry, state: seen.append((entry.path, state)),
    )
    assert loop.run_once() == 1
    assert seen == [(EXPIRY, scheduler.FAILED), (SLA, scheduler.ENQUEUED)]
    assert PeriodicJob.objects.get(path=EXPIRY).next_run_at <= timezone.now()  # tried again next tick
    assert PeriodicJob.objects.get(path=SLA).next_run_at > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_the_loop_carries_on_after_database_errors(monkeypatch):
    calls = {"n": 0}
    original = scheduler.beat

    def flaky_beat(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("terminating connection due to administrator command")
        original(**kwargs)

    monkeypatch.setattr(scheduler, "beat", flaky_beat)
    monkeypatch.setattr(scheduler, "MAX_BACKOFF_SECONDS", 0.2)
    loop = Scheduler([PeriodicTask(SLA, every=60)], poll=0.05)
    thread = threading.Thread(target=loop.run)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not DBTaskResult.objects.filter(task_path=SLA).exists():
        time.sleep(0.05)
    loop.stop()
    thread.join(timeout=5)
    assert calls["n"] >= 3 and DBTaskResult.objects.filter(task_path=SLA).count() == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_command_stops_cleanly_on_a_signal(tmp_path, signum):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(ORDERLOOP_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and " started: " not in line:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        assert line.startswith("Scheduler ") and " started: " in line
        process.send_signal(signum)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Scheduler stopped." in output
