"""Fixtures of the operations tests: real processes (`manage.py run_worker`, `run_scheduler`, the web
server) against this test run's own database, a real SMTP server, and stock to order from."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from orderloop.catalog.models import Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SEED_DELIVERY_KINDS = import_module("orderloop.orders.migrations.0004_checkout_pricing_and_promised_date")
# The processes of one test show up under this name in pg_stat_activity.
APPLICATION_NAME = "orderloop-ops-test"


def database_url() -> str:
    """This test run's database (the test database pytest-django made), for another process."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return (
            f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            f"?application_name={APPLICATION_NAME}"
        )
    return f"sqlite:///{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DB_SUFFIX", "DATABASE_POOL"}
    }
    env.update(
        {"PYTHONUNBUFFERED": "1", **extra, "DATABASE_URL": database_url(), "PYTHONPATH": str(ROOT / "src")}
    )
    return env


class Processes:
    """Started processes, each with its output in a file; all are stopped (then killed) at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *command: str, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                list(command),
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    def manage(self, *args: str, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        return self.start(sys.executable, str(ROOT / "manage.py"), *args, env=env, name=name)

    def output(self, process: subprocess.Popen[bytes]) -> str:
        return next(log for started, log in self.started if started is process).read_text(errors="replace")

    @staticmethod
    def signal_group(process: subprocess.Popen[bytes], signum: int, *, wait: float = 30) -> None:
        """Signal the process and everything it started (granian's workers are processes of their own:
        killing only the main one would leave them serving), then wait until all are gone."""
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        process.wait(timeout=wait)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process, _log in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process, _log in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever is left of its group
            process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def wait_until(condition: Callable[[], Any], *, seconds: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class SlowInbox:
    """A real SMTP server's mailbox (aiosmtpd) that takes `delay` seconds to accept each message, so a
    worker spends most of a task inside the SMTP conversation (where a kill hurts most)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.messages]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowInbox, int]]:
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = SlowInbox(delay=0.15)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def methods(transactional_db: Any) -> None:
    """The seeded delivery and payment methods (transactional tests flush the migration's rows)."""
    SEED.seed(apps, None)
    SEED_DELIVERY_KINDS.set_seeded_delivery(apps, None)


@pytest.fixture
def stocked(
    make_variant: Callable[..., Variant], warehouse: Warehouse, methods: None
) -> Callable[[str, int], Variant]:
    def make(sku: str, quantity: int) -> Variant:
        variant = make_variant(sku)
        stock_adjust(variant=variant, warehouse=warehouse, delta=quantity, actor=None)
        return variant

    return make
