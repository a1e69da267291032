"""`make run` (scripts/run.py) on a fresh data directory: migrates, loads demo data, serves pages, runs
the task worker and the scheduler (a periodic duty fires: an order past its payment deadline is
cancelled), restarts a worker that dies, keeps its own secret key, and stops everything cleanly on Ctrl-C.
Runs against its own SQLite file, whatever engine the suite uses, because that is what `make run` does on
a fresh machine."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
EXPIRY = "orderloop.orders.tasks.expire_unpaid_orders"

# Placed and confirmed through the services, then moved 100 hours into the past: the payment deadline
# (72 h) is over, so the next run of the expiry cancels it.
OVERDUE_ORDER = """
from datetime import timedelta
from django.db.models import F
from django.utils import timezone
from orderloop.inventory.models import StockLevel
from orderloop.orders import services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Order
stock = StockLevel.objects.filter(on_hand__gte=F("reserved") + 3, warehouse__code="kyiv").select_related("variant")
order = services.order_place(
    channel="web",
    customer=CustomerData(name="Late Payer", phone="050 111 22 33", email="late@example.com", language="en"),
    shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"),
    delivery_method_code="door_delivery",
    payment_method_code="bank_transfer",
    lines=[LineData(sku=stock.first().variant.sku, quantity=1)],
    actor=None,
)
services.order_confirm(order_id=order.pk, actor=None)
Order.objects.filter(pk=order.pk).update(status_changed_at=timezone.now() - timedelta(hours=100))
print("ORDER", order.pk, Order.objects.get(pk=order.pk).status)
"""


def _wait_for(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in time")


def _until(condition: Callable[[], object], seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _children(parent: int, pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", pattern], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def test_run_supervises_web_worker_and_scheduler_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    var = tmp_path / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}
    }
    env.update(
        PORT=str(port),
        ORDERLOOP_VAR_DIR=str(var),
        PYTHONUNBUFFERED="1",
        # Periodic duties every 2 s instead of every minute, so the test sees one fire in seconds.
        PERIODIC_TASK_SECONDS=json.dumps({EXPIRY: 2}),
        SCHEDULER_POLL_SECONDS="0.5",
        WORKER_HEARTBEAT_SECONDS="1",
    )
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        assert _wait_for(f"http://127.0.0.1:{port}/login/", deadline) == 200
        database = var / "orderloop.sqlite3"
        assert database.exists()
        key = var / "secret_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 50

        workers = _until(lambda: _children(process.pid, "manage.py run_worker"), 30, "the task worker")
        assert _until(lambda: _children(process.pid, "manage.py run_scheduler"), 30, "the scheduler")
        assert _children(process.pid, "manage.py runserver")

        # Everything runs: the health endpoint sees a live worker and a ticking scheduler.
        assert _until(lambda: _health(port)[0] == 200, 30, "a healthy system")

        # A periodic duty fires: the scheduler enqueues the payment expiry, the worker cancels the order.
        created = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", OVERDUE_ORDER],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        order_id = int(created.stdout.split("ORDER")[1].split()[0])
        assert "awaiting_payment" in created.stdout

        def order_status() -> str | None:
            with sqlite3.connect(database, timeout=30) as db:
                row = db.execute("SELECT status FROM orders_order WHERE id = ?", (order_id,)).fetchone()
            return row[0] if row and row[0] == "cancelled" else None

        _until(order_status, 60, "the scheduler and the worker to cancel the overdue order")
        with sqlite3.connect(database, timeout=30) as db:
            reason = db.execute(
                "SELECT reason FROM orders_orderevent WHERE order_id = ? AND to_status = 'cancelled'",
                (order_id,),
            ).fetchone()
        assert reason == ("payment_timeout",)

        # A worker that dies is started again, with a line in the log; the web server keeps serving.
        os.kill(workers[0], signal.SIGKILL)
        restarted = _until(
            lambda: [pid for pid in _children(process.pid, "manage.py run_worker") if pid != workers[0]],
            30,
            "the task worker to be restarted",
        )
        assert restarted
        assert any("task worker exited (code -9)" in line for line in lines), "".join(lines)
        assert any("task worker restarted" in line for line in lines), "".join(lines)
        assert _wait_for(f"http://127.0.0.1:{port}/login/", time.monotonic() + 10) == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "demo1234" in output
    assert "Stopped web server, task worker and scheduler." in output
    # Nothing is left running.
    assert not _children(process.pid, "manage.py")
