"""The periodic scheduler (core/scheduler.py, `manage.py run_scheduler`): enqueues the SLA check and
the payment expiry (and every other registered task), does not pile up runs while one still waits, and
stops cleanly on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from orderloop.core import scheduler
from orderloop.core.scheduler import PeriodicTask, Scheduler, periodic_tasks

ROOT = Path(__file__).resolve().parents[2]
SLA = "orderloop.orders.tasks.check_sla"
EXPIRY = "orderloop.orders.tasks.expire_unpaid_orders"
LOW_STOCK = "orderloop.purchasing.tasks.check_low_stock"
REFUND_SLA = "orderloop.returns.tasks.check_refund_sla"
POLL_TRACKING = "orderloop.shipping.tasks.poll_tracking"
RETURN_TRACKING = "orderloop.returns.tasks.refresh_return_tracking"


def test_the_registry_has_both_rules_every_minute_and_settings_replace_it():
    assert [(e.path, e.every) for e in periodic_tasks()] == [
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


@pytest.mark.django_db
def test_once_enqueues_each_task_and_does_not_pile_up_while_one_waits():
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == sorted(
        [SLA, EXPIRY, LOW_STOCK, REFUND_SLA, RETURN_TRACKING, POLL_TRACKING]
    )
    assert f"{SLA}: enqueued" in out.getvalue()
    again = StringIO()
    call_command("run_scheduler", "--once", "--only", SLA, stdout=again)
    assert "skipped" in again.getvalue()
    assert DBTaskResult.objects.count() == 6
    # Once the worker ran it, the next tick enqueues again.
    DBTaskResult.objects.filter(task_path=SLA).update(status="SUCCESSFUL")
    call_command("run_scheduler", "--once", "--only", SLA, stdout=StringIO())
    assert DBTaskResult.objects.filter(task_path=SLA).count() == 2


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
        SLA: "SUCCESSFUL",
        EXPIRY: "SUCCESSFUL",
        LOW_STOCK: "SUCCESSFUL",
        REFUND_SLA: "SUCCESSFUL",
        RETURN_TRACKING: "SUCCESSFUL",
        POLL_TRACKING: "SUCCESSFUL",
    }


def test_the_loop_fires_each_task_on_its_interval_until_stopped(monkeypatch):
    fired: list[str] = []
    monkeypatch.setattr(scheduler, "enqueue_periodic", lambda entry: fired.append(entry.path) or True)
    loop = Scheduler([PeriodicTask("fast", every=0.05), PeriodicTask("slow", every=10)])
    thread = threading.Thread(target=loop.run)
    thread.start()
    time.sleep(0.4)
    loop.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert fired.count("slow") == 1  # due at start, not again within 10 s
    assert 4 <= fired.count("fast") <= 10


def test_a_failing_enqueue_does_not_stop_the_others(monkeypatch):
    seen: list[tuple[str, str]] = []

    def enqueue(entry: PeriodicTask) -> bool:
        if entry.path == "broken":
            raise RuntimeError("database away")
        return True

    monkeypatch.setattr(scheduler, "enqueue_periodic", enqueue)
    loop = Scheduler(
        [PeriodicTask("broken", every=60), PeriodicTask("fine", every=60)],
        on_enqueue=lambda entry, state: seen.append((entry.path, state)),
    )
    assert loop.run_once() == 1
    assert seen == [("broken", scheduler.FAILED), ("fine", scheduler.ENQUEUED)]


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
        while time.monotonic() < deadline and "Scheduler started" not in line:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        assert "Scheduler started" in line
        process.send_signal(signum)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Scheduler stopped." in output
