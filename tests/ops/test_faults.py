"""Faults injected into real processes on PostgreSQL: a task worker killed with SIGKILL in the middle of a
batch, the database connections of the workers and the scheduler terminated again and again, the web
server restarted (gracefully, then with SIGKILL) while clients place orders. Afterwards every order and
every e-mail exists exactly once, nothing stays queued, running or failed, and the stock ledger is true.

The processes are the ones production runs (`manage.py run_worker`, `manage.py run_scheduler`, granian
with production settings) against this run's test database; e-mail goes to a real SMTP server that takes
0.15 s to accept each message, so a worker spends most of its time inside the SMTP conversation.

"Exactly once" for e-mail: every confirmation row is sent and its recipient received it. A worker killed
after the mail server accepted a message but before it recorded `sent_at` sends it again on the rerun —
no system can rule that out — and the copy carries the same Message-ID; the test counts such copies and
prints them. Run with `-m faults -s` to see the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orderloop.core.models import ProcessHeartbeat
from orderloop.core.scheduler import last_tick
from orderloop.core.services import api_token_create
from orderloop.inventory.models import StockLevel
from orderloop.notifications.emails import ORDER_CONFIRMATION
from orderloop.notifications.models import CustomerMessage
from orderloop.orders import services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Order
from tests.conftest import free_port

from .conftest import APPLICATION_NAME, Processes, SlowInbox, process_env, wait_until

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="fault tests run on PostgreSQL (terminated connections, several writing processes); "
        "set DATABASE_URL=postgres://...",
    ),
]

SEND = "orderloop.notifications.tasks.send_customer_message"
# The confirmation is written by the notifications consumer of `order.placed` (a task of its own), which
# then enqueues the send: the batch is done when neither kind of task is waiting or running.
CONSUME = "orderloop.core.consumers.consume_event"
BIN = Path(sys.executable).parent
# Short lease and beats, so a dead worker's task is back in seconds rather than minutes.
FAST_LEASE = {"TASK_LEASE_SECONDS": "3", "WORKER_HEARTBEAT_SECONDS": "0.5"}


def _place(count: int, sku: str, prefix: str) -> list[Order]:
    return [
        services.order_place(
            channel="web",
            customer=CustomerData(
                name=f"Buyer {n}",
                phone=f"050 {n // 100:03d} {n % 100:02d} 11",
                email=f"{prefix}{n}@example.com",
            ),
            shipping_address=AddressData(
                country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"
            ),
            delivery_method_code="door_delivery",
            payment_method_code="cod",
            lines=[LineData(sku=sku, quantity=1)],
            actor=None,
        )
        for n in range(count)
    ]


def _drained() -> bool:
    return not DBTaskResult.objects.filter(
        task_path__in=[SEND, CONSUME], status__in=["READY", "RUNNING"]
    ).exists()


def _each_confirmation_sent_once(orders: list[Order], inbox: SlowInbox) -> int:
    """Every order has one confirmation, sent, received by its customer; no task left or failed.
    Returns how many copies of an already delivered message the mail server got."""
    messages = list(CustomerMessage.objects.filter(order__in=orders, kind=ORDER_CONFIRMATION))
    assert sorted(m.order_id for m in messages) == sorted(o.pk for o in orders)
    assert [m.recipient for m in messages if m.sent_at is None] == []
    statuses = Counter(DBTaskResult.objects.filter(task_path=SEND).values_list("status", flat=True))
    assert set(statuses) == {"SUCCESSFUL"}, statuses
    assert not DBTaskResult.objects.failed().exists()  # no task of any kind gave up
    received = Counter(inbox.recipients())
    assert set(received) == {o.customer_email for o in orders}  # nothing lost, nobody else written to
    # A copy is the same message: one Message-ID per recipient.
    ids_per_recipient: dict[str, set[str]] = {}
    for message in list(inbox.messages):
        ids_per_recipient.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    assert all(len(ids) == 1 for ids in ids_per_recipient.values()), ids_per_recipient
    return sum(count - 1 for count in received.values())


def _ledger_is_true() -> None:
    call_command("check_stock_ledger", stdout=open(os.devnull, "w"))  # noqa: SIM115 - raises on a mismatch


def _worker_id(process: Any) -> str:
    return str(
        wait_until(
            lambda: (
                ProcessHeartbeat.objects.filter(pid=process.pid, role="worker")
                .values_list("process_id", flat=True)
                .first()
            ),
            seconds=60,
            what="the worker's first heartbeat",
        )
    )


def test_a_worker_killed_mid_batch_loses_nothing(
    stocked: Callable[[str, int], Any], slow_smtp: tuple[SlowInbox, int], processes: Processes
) -> None:
    started = time.monotonic()
    inbox, smtp_port = slow_smtp
    stocked("FAULT-TEE", 500)
    orders = _place(30, "FAULT-TEE", "killed")
    env = process_env(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), **FAST_LEASE)
    victim = processes.manage("run_worker", env=env, name="victim")
    survivor = processes.manage("run_worker", env=env, name="survivor")
    victim_id = _worker_id(victim)

    # Kill the victim in the middle of a task: the mail server holds every message for 5 s, so once the
    # victim's claimed task stays the same for half a second it is inside the SMTP conversation.
    def victim_busy() -> list[Any]:
        return [
            row
            for row in DBTaskResult.objects.running().filter(task_path=SEND)
            if row.worker_ids and row.worker_ids[-1] == victim_id
        ]

    def victim_inside_smtp() -> list[Any] | None:
        first = victim_busy()
        if not first:
            return None
        time.sleep(0.5)
        again = victim_busy()
        return again if again and again[0].pk == first[0].pk else None

    wait_until(lambda: len(inbox.messages) >= 4, seconds=90, what="the workers to start sending")
    inbox.delay = 5.0
    lost_task = wait_until(victim_inside_smtp, seconds=30, what="the victim inside a task")[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    inbox.delay = 0.15
    assert DBTaskResult.objects.get(pk=lost_task.pk).status == "RUNNING"  # left behind by the dead worker

    wait_until(_drained, seconds=120, what="the survivor to finish the batch")
    assert survivor.poll() is None
    rerun = DBTaskResult.objects.get(pk=lost_task.pk)
    assert rerun.status == "SUCCESSFUL" and rerun.worker_ids[0] == victim_id and len(rerun.worker_ids) >= 2
    assert "put back in the queue" in processes.output(survivor)
    copies = _each_confirmation_sent_once(orders, inbox)
    _ledger_is_true()
    print(
        f"\nkill -9 mid-batch: 30 orders, 1 worker killed while running task {lost_task.pk}; "
        f"30/30 confirmations sent, {copies} repeated delivery(ies) with the same Message-ID; "
        f"{time.monotonic() - started:.1f} s"
    )
    assert copies <= 1  # only the message the victim may have had accepted before it died


def test_workers_and_the_scheduler_ride_out_terminated_database_connections(
    stocked: Callable[[str, int], Any], slow_smtp: tuple[SlowInbox, int], processes: Processes
) -> None:
    started = time.monotonic()
    inbox, smtp_port = slow_smtp
    stocked("FAULT-CAP", 500)
    orders = _place(30, "FAULT-CAP", "dropped")
    env = process_env(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        PERIODIC_TASK_SECONDS=json.dumps({"orderloop.orders.tasks.check_sla": 1}),
        SCHEDULER_POLL_SECONDS="0.3",
        **FAST_LEASE,
    )
    worker = processes.manage("run_worker", env=env, name="worker")
    scheduler = processes.manage("run_scheduler", env=env, name="scheduler")
    wait_until(lambda: len(inbox.messages) >= 3, seconds=90, what="the worker to start sending")

    terminated = 0
    for _round in range(12):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                [APPLICATION_NAME],
            )
            terminated += cursor.fetchone()[0]
        time.sleep(0.35)
    storm_over = timezone.now()
    assert terminated >= 12

    wait_until(_drained, seconds=120, what="the worker to finish the batch")
    wait_until(
        lambda: (tick := last_tick()) is not None and tick > storm_over, seconds=30, what="a scheduler tick"
    )
    assert worker.poll() is None and scheduler.poll() is None  # neither process gave up
    # The scheduler went on enqueueing (and the worker running) the periodic SLA check.
    wait_until(
        lambda: (
            DBTaskResult.objects.successful().filter(task_path="orderloop.orders.tasks.check_sla").count()
            >= 2
        ),
        seconds=30,
        what="the periodic SLA check to run again",
    )
    copies = _each_confirmation_sent_once(orders, inbox)
    assert copies == 0  # the sent mark survives a dropped connection: nothing went out twice
    _ledger_is_true()
    log = processes.output(worker)
    print(
        f"\nterminated connections: {terminated} backends terminated in 12 rounds; worker reconnected "
        f"{log.count('reconnecting in')} time(s) after its loop stopped, {log.count('put back to run again')} "
        f"task(s) retried after a database error; 30/30 confirmations sent once; "
        f"{time.monotonic() - started:.1f} s"
    )


def _post_order(port: int, token: str, key: str, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(
            "POST",
            "/api/v1/orders",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "X-Forwarded-Proto": "https",  # as the TLS proxy in front of production would
            },
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _granian(processes: Processes, env: dict[str, str], port: int) -> Any:
    server = processes.start(
        str(BIN / "granian"),
        "--interface",
        "wsgi",
        "--port",
        str(port),
        "--workers",
        "1",
        "--blocking-threads",
        "2",
        "--log-level",
        "warning",
        "orderloop.wsgi:application",
        env=env,
        name="web",
    )

    def answers() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            return True
        except OSError:
            return False

    wait_until(answers, seconds=60, what="granian to answer", every=0.1)
    return server


def test_restarting_the_web_server_under_load_places_every_order_once(
    stocked: Callable[[str, int], Any],
    slow_smtp: tuple[SlowInbox, int],
    processes: Processes,
    make_staff: Callable[..., User],
) -> None:
    started = time.monotonic()
    inbox, smtp_port = slow_smtp
    stocked("FAULT-MUG", 1000)
    token = api_token_create(user=make_staff("Manager", username="fault-api"), name="faults").plaintext
    env = process_env(
        ORDERLOOP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        **FAST_LEASE,
    )
    port = free_port()
    server = _granian(processes, env, port)
    # A monitor probes /health/ over plain HTTP: answered (503: no worker runs yet), not sent to HTTPS.
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    probe.request("GET", "/health/")
    health = probe.getresponse()
    assert health.status == 503 and json.loads(health.read())["checks"]["workers"]["ok"] is False
    probe.close()

    clients, per_client = 4, 8
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    attempts = Counter[str]()
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(per_client):
            key = str(uuid.uuid4())
            body = json.dumps(
                {
                    "channel": "api",
                    "customer": {
                        "name": f"Web {n}-{i}",
                        "phone": "+380501234567",
                        "email": f"web{n}-{i}@example.com",
                    },
                    "shipping_address": {
                        "country": "UA",
                        "city": "Kyiv",
                        "postal_code": "01001",
                        "line1": "Khreshchatyk 1",
                    },
                    "delivery_method": "door_delivery",
                    "payment_method": "cod",
                    "lines": [{"sku": "FAULT-MUG", "quantity": 1}],
                }
            ).encode()
            deadline = time.monotonic() + 120
            while True:  # the same key and body until the server answers: a retry never orders twice
                with lock:
                    attempts[key] += 1
                try:
                    status, answer = _post_order(port, token, key, body)
                except (OSError, http.client.HTTPException):
                    status, answer = 0, {}
                if status in (200, 201):
                    with lock:
                        answers[key] = (status, answer)
                    break
                assert status in (0, 429, 500, 502, 503) and time.monotonic() < deadline, (status, answer)
                time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    # A graceful restart (SIGTERM), then a hard one (SIGKILL), each with requests in flight.
    for signum, after in ((signal.SIGTERM, 8), (signal.SIGKILL, 18)):
        wait_until(lambda after=after: len(answers) >= after, seconds=120, what=f"{after} orders", every=0.02)
        processes.signal_group(server, signum)
        server = _granian(processes, env, port)
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)

    total = clients * per_client
    numbers = [answer["number"] for _status, answer in answers.values()]
    assert len(answers) == total and len(set(numbers)) == total
    placed = Order.objects.filter(customer_email__startswith="web")
    assert placed.count() == total  # no order twice, none lost
    assert sorted(placed.values_list("number", flat=True)) == sorted(numbers)
    assert Counter(placed.values_list("customer_email", flat=True)).most_common(1)[0][1] == 1
    assert StockLevel.objects.get(variant__sku="FAULT-MUG").reserved == total
    _ledger_is_true()

    worker = processes.manage("run_worker", env=env, name="worker")
    wait_until(_drained, seconds=120, what="the confirmations to be sent")
    assert worker.poll() is None
    copies = _each_confirmation_sent_once(list(placed), inbox)
    assert copies == 0
    retried = sum(count - 1 for count in attempts.values())
    print(
        f"\nweb restarts under load: {total} orders by {clients} clients through 2 restarts (SIGTERM, SIGKILL); "
        f"{retried} request(s) retried with their Idempotency-Key; {placed.count()} orders, each once; "
        f"{total}/{total} confirmations sent once; {time.monotonic() - started:.1f} s"
    )
