"""The development server as `make run` starts it on PostgreSQL keeps a bounded number of database
connections: Django's connection pool (DATABASE_POOL) instead of a connection kept for 60 s by each of
its request threads (which reached 78 connections for 6 clients here, until PostgreSQL refuses
clients)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import free_port

from .conftest import APPLICATION_NAME, Processes, process_env, wait_until

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE = 8

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="counts PostgreSQL's connections (pg_stat_activity); set DATABASE_URL=postgres://...",
    ),
]


def _make_run() -> Any:
    spec = importlib.util.spec_from_file_location("orderloop_make_run", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        )
        return int(cursor.fetchone()[0])


def _get(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as error:  # /health/ answers 503 without workers: still a request
        error.read()


def test_the_development_server_keeps_a_bounded_number_of_connections(processes: Processes) -> None:
    make_run = _make_run()
    assert make_run.PROCESS_DEFAULTS["DATABASE_POOL"] == str(POOL_SIZE)
    port = free_port()
    web = make_run.process_commands(str(port))["web server"]
    processes.start(*web, env=process_env(**make_run.PROCESS_DEFAULTS), name="runserver")
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            _get(f"{base}/login/")
            return True
        except OSError:
            return False

    wait_until(answers, seconds=90, what="the development server")

    # Many requests one after the other (each on a new thread of the server) ...
    for _ in range(40):
        _get(f"{base}/health/")
        _get(f"{base}/shop/")
    assert _connections() <= POOL_SIZE

    # ... and six clients at once: the count stays within the pool.
    peak = 0
    clients = [
        threading.Thread(
            target=lambda: [_get(f"{base}{path}") for _ in range(15) for path in ("/health/", "/shop/")]
        )
        for _ in range(6)
    ]
    for client in clients:
        client.start()
    while any(client.is_alive() for client in clients):
        peak = max(peak, _connections())
        time.sleep(0.1)
    assert 1 <= peak <= POOL_SIZE, peak
    assert _connections() <= POOL_SIZE
