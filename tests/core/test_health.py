"""The health endpoint (GET /health/) and `manage.py queue_status`: database, the task backlog's age, live
workers and the scheduler's last tick; 503 when any of them is unhealthy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.core import workers
from orderloop.core.models import ProcessHeartbeat, ProcessRole
from orderloop.core.scheduler import PeriodicTask, Scheduler
from orderloop.notifications.tasks import send_customer_message
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _everything_running() -> None:
    workers.beat(process_id="worker-1", role=ProcessRole.WORKER, started_at=timezone.now())
    Scheduler([PeriodicTask("orderloop.orders.tasks.check_sla", every=60)]).tick()
    DBTaskResult.objects.all().delete()  # what the tick enqueued: an empty queue


def _health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.django_db
def test_healthy_when_the_database_answers_workers_beat_the_scheduler_ticks_and_nothing_waits_long() -> None:
    status, body = _health(Client())
    assert status == 503 and body["status"] == "unhealthy"
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert (checks["workers"]["ok"], checks["workers"]["alive"]) == (False, 0)
    assert (checks["scheduler"]["ok"], checks["scheduler"]["last_tick"]) == (False, None)

    _everything_running()
    status, body = _health(Client())
    assert status == 200 and body["status"] == "ok", body
    assert body["checks"]["task_queue"] == {
        "ok": True,
        "ready": 0,
        "running": 0,
        "oldest_wait_seconds": None,
        "max_wait_seconds": 300.0,
    }
    assert body["checks"]["workers"]["alive"] == 1
    assert body["checks"]["scheduler"]["seconds_since_tick"] < 5


@pytest.mark.django_db
def test_a_task_waiting_too_long_makes_the_system_unhealthy() -> None:
    _everything_running()
    fresh = send_customer_message.enqueue(message_id=1)
    status, body = _health(Client())
    assert status == 200 and body["checks"]["task_queue"]["ready"] == 1
    DBTaskResult.objects.filter(pk=fresh.id).update(enqueued_at=timezone.now() - timedelta(minutes=10))
    # A task due later waits from its start time, not from when it was enqueued.
    send_customer_message.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(message_id=2)
    status, body = _health(Client())
    assert status == 503
    queue = body["checks"]["task_queue"]
    assert queue["ok"] is False and queue["ready"] == 1 and 595 <= queue["oldest_wait_seconds"] <= 700


@pytest.mark.django_db
def test_a_silent_scheduler_or_dead_workers_make_the_system_unhealthy(settings: Any) -> None:
    _everything_running()
    ProcessHeartbeat.objects.filter(role=ProcessRole.SCHEDULER).update(
        beat_at=timezone.now() - timedelta(minutes=3)
    )
    status, body = _health(Client())
    assert status == 503 and body["checks"]["scheduler"]["ok"] is False
    assert 175 <= body["checks"]["scheduler"]["seconds_since_tick"] <= 200
    settings.ORDERLOOP = {**settings.ORDERLOOP, "HEALTH_MAX_SCHEDULER_SILENCE_SECONDS": 600}
    assert _health(Client())[0] == 200
    ProcessHeartbeat.objects.filter(role=ProcessRole.WORKER).update(
        beat_at=timezone.now() - timedelta(hours=1)
    )
    status, body = _health(Client())
    assert status == 503 and body["checks"]["workers"] == {"ok": False, "alive": 0}


@pytest.mark.django_db
def test_queue_status_shows_depth_and_age_per_queue_and_fails_when_unhealthy() -> None:
    _everything_running()
    waiting = send_customer_message.enqueue(message_id=1)
    DBTaskResult.objects.filter(pk=waiting.id).update(enqueued_at=timezone.now() - timedelta(minutes=12))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("queue_status", stdout=out)
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "Health: UNHEALTHY" in text and "task_queue  BAD" in text
    row = next(line for line in text.splitlines() if line.startswith("default"))
    assert row.split()[:3] == ["default", "1", "12"] and "min" in row
    assert "worker-1" in text and "orderloop.orders.tasks.check_sla" in text

    DBTaskResult.objects.all().delete()
    out = StringIO()
    call_command("queue_status", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["healthy"] is True and report["queues"] == []


def test_health_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """A real server whose database does not answer (nothing listens on its port)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_POOL"}}
    env.update(
        DATABASE_URL=f"postgres://orderloop@127.0.0.1:{free_port()}/orderloop",
        ORDERLOOP_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    # granian (the production server) does not touch the database before the first request.
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "wsgi",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "orderloop.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10)
                raise AssertionError("a server without its database answered 200")
            except urllib.error.HTTPError as error:
                status, body = error.code, json.loads(error.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert status == 503 and body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["error"]
    assert body["checks"]["task_queue"] == {"ok": False, "error": "the database is unavailable"}
