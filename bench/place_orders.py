"""Benchmark: place orders over HTTP with 1, 4 and 16 concurrent clients and compare with raw PostgreSQL.

    .venv/bin/python bench/place_orders.py                 # PostgreSQL (DATABASE_URL or 127.0.0.1:5432)
    .venv/bin/python bench/place_orders.py --sqlite        # the embedded SQLite default
    .venv/bin/python bench/place_orders.py --hot           # every client orders the same SKU
    .venv/bin/python bench/place_orders.py --seconds 10 --clients 1,4,16

What it does:
1. Creates a scratch database (PostgreSQL `orderloop_bench_orders`, dropped afterwards; or a scratch SQLite
   file under var/bench/), migrates it, adds 200 SKUs with plenty of stock in two warehouses and an API
   token.
2. Starts the production server (granian, 2 workers x 2 threads by default — the best of the layouts tried
   on 2 cores, see docs/benchmarks.md; `--workers`/`--threads` to try others, DEBUG off) on a free port.
3. For each client count, runs that many client threads for a fixed time; each POSTs /api/v1/orders with
   its own Idempotency-Key, keeping its HTTP connection open. Prints orders/s, p50/p99 latency and errors.
4. PostgreSQL only: captures the SQL one order placement sends (the same request, through Django's test
   client), turns it into a pgbench script (the same statements; ids and unique values become pgbench
   variables, and each transaction orders a random SKU and locks that SKU's own rows, as our load does),
   sent with the protocol our hot statements use (`fastsql.POSTGRESQL_PROTOCOL`: pgbench -M extended).
   Then alternates, `--rounds` times, our load at the largest client count and pgbench with the same
   number of clients for the same time, each started on a vacuumed and checkpointed database, and prints
   each round and the ratio ours/raw over all rounds (alternating, so a drift in the machine's speed
   weighs on both sides alike).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BENCH_DB = "orderloop_bench_orders"
SKU_COUNT = 200
# Distinctive first ids per table, so the captured SQL's literal ids can be found and replaced by
# pgbench variables without touching any other number.
ID_BASES = {
    "core_idempotencykey": 810_000_001,
    "orders_order": 820_000_001,
    "orders_orderline": 830_000_001,
    "inventory_stockmovement": 840_000_001,
    "orders_lineallocation": 850_000_001,
    "orders_orderevent": 860_000_001,
}
NUMBER_BASE = 870_000_000
# The catalog's ids start at distinctive values too, so the replay can put each transaction on the SKU's
# own variant and stock row (variant n is VARIANT_BASE + n, its first warehouse's stock row
# STOCK_BASE + 2n), spreading the row locks over the catalog as our load does.
VARIANT_BASE = 880_000_001
STOCK_BASE = 890_000_001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(use_sqlite: bool) -> tuple[dict[str, str], str | None, object]:
    """Environment for Django pointing at a scratch database, the libpq URL (PostgreSQL) and a cleanup."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="orderloop.settings", DEBUG="0", PYTHONPATH=str(ROOT / "src"))
    if use_sqlite:
        var_dir = ROOT / "var" / "bench-orders"
        shutil.rmtree(var_dir, ignore_errors=True)
        var_dir.mkdir(parents=True)
        env["ORDERLOOP_VAR_DIR"] = str(var_dir)
        return env, None, lambda: None

    import psycopg

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

    def admin(sql: str) -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {BENCH_DB}")
    bench_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{BENCH_DB}"))
    env["DATABASE_URL"] = bench_url
    return env, bench_url, lambda: admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


SETUP_SCRIPT = r"""
import json, sys
from decimal import Decimal
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
call_command("migrate", verbosity=0)
from orderloop.catalog.models import Product, Variant
from orderloop.core.services import api_token_create, roles_sync, staff_user_get_or_create
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
roles_sync()
replayed = connection.vendor == "postgresql"
if replayed:
    with connection.cursor() as cursor:
        # The lean reference (bench/lean_placement.sql) numbers its orders from the order number sequence;
        # a version without one gets one far above the counter's numbers.
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS orders_order_number_seq START WITH 500000000")
        cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_variant', 'id'), VARIANT_BASE, false)")
        cursor.execute("SELECT setval(pg_get_serial_sequence('inventory_stocklevel', 'id'), STOCK_BASE, false)")
user, _ = staff_user_get_or_create(username="bench", role="Manager")
token = api_token_create(user=user, name="bench").plaintext
with transaction.atomic():
    warehouses = [
        Warehouse.objects.create(code="w1", name="Main", country="UA", priority=1),
        Warehouse.objects.create(code="w2", name="Second", country="UA", priority=2),
    ]
    for n in range(SKU_COUNT):
        product = Product.objects.create(handle=f"bench-{n}", name=f"Bench product {n}")
        variant = Variant.objects.create(product=product, sku=f"BENCH-{n:04d}", price_amount=Decimal("99.90"), currency="UAH")
        for warehouse in warehouses:
            stock_adjust(variant=variant, warehouse=warehouse, delta=1_000_000, actor=None)
        if replayed:  # the replay's arithmetic (see VARIANT_BASE) holds
            assert variant.pk == VARIANT_BASE + n, variant.pk
            assert variant.stock_levels.get(warehouse=warehouses[0]).pk == STOCK_BASE + 2 * n
print(json.dumps({"token": token}))
"""
SETUP_SCRIPT = (
    SETUP_SCRIPT.replace("SKU_COUNT", str(SKU_COUNT))
    .replace("VARIANT_BASE", str(VARIANT_BASE))
    .replace("STOCK_BASE", str(STOCK_BASE))
)


CAPTURE_SCRIPT = r"""
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from orderloop.orders.models import OrderCounter
ID_BASES = json.loads(sys.argv[1]); NUMBER_BASE = int(sys.argv[2]); token = sys.argv[3]; body = sys.argv[4]
with connection.cursor() as cursor:
    for table, base in ID_BASES.items():
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s, false)", [base])
OrderCounter.objects.update(last_number=NUMBER_BASE)
# The token records its use at most once a minute: the load writes that row once a minute, not once an
# order, so the captured request must not (replayed on every transaction it would also hold that row's
# lock to the commit and queue every pgbench client on it).
from django.utils import timezone
from orderloop.core.models import ApiToken
ApiToken.objects.update(last_used_at=timezone.now())
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
with CaptureQueriesContext(connection) as captured:
    response = client.post("/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="BENCHKEY")
assert response.status_code == 201, response.content
try:  # the hand-written statement runner of earlier versions sent its statements this way
    from orderloop.core.fastsql import POSTGRESQL_PROTOCOL as protocol
except ImportError:  # Django's cursor: the values quoted into the text, as the captured statements show
    protocol = "simple"
from orderloop.orders.models import DeliveryMethod, PaymentMethod
print(json.dumps({
    "statements": [query["sql"] for query in captured.captured_queries],
    "protocol": protocol,
    "number": json.loads(response.content)["number"],
    "delivery_id": DeliveryMethod.objects.get(code="door_delivery").pk,
    "payment_id": PaymentMethod.objects.get(code="cod").pk,
}))
"""


# Every order comes from a customer of its own, as most of a shop's orders do: the same phone on every
# order would make each one a repeat buyer's duplicate, flagged for review. The captured order's
# customer is one the load never uses; the replay gives each transaction its own.
CUSTOMERS = itertools.count(1)
CAPTURED_CUSTOMER = 9_999_999


def order_body(sku: str, customer: int) -> str:
    return json.dumps(
        {
            "channel": "api",
            "customer": {
                "name": "Bench Client",
                "phone": f"+38050{customer:07d}",
                "email": f"c{customer}@example.com",
            },
            "shipping_address": {
                "country": "UA",
                "city": "Kyiv",
                "postal_code": "01001",
                "line1": "Bench st 1",
            },
            "delivery_method": "door_delivery",
            "payment_method": "cod",
            "lines": [{"sku": sku, "quantity": 1}],
        }
    )


def run_django(script: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"setup failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def start_server(
    env: dict[str, str], port: int, workers: int = 2, threads: int = 2
) -> subprocess.Popen[bytes]:
    """The production web server (granian, docs/operations.md) with `workers` processes of `threads`
    Python threads each."""
    granian = Path(sys.executable).with_name("granian")
    server = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "wsgi",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--log-level",
            "warning",
            "orderloop.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def cpu_seconds(server_group: int | None) -> tuple[float, float]:
    """CPU used so far (user + system) by PostgreSQL's processes and by the server's process group.

    PostgreSQL's include its ended backends (the postmaster's reaped children: pgbench's connections
    end with pgbench)."""
    tick = os.sysconf("SC_CLK_TCK")
    database = server = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if comm == "postgres":
            database += used + (int(fields[13]) + int(fields[14])) / tick  # + cutime, cstime
        elif server_group is not None and int(fields[2]) == server_group:  # pgrp
            server += used
    return database, server


class BackendSampler:
    """CPU of the PostgreSQL backends serving the bench database only (their process title names it), so
    that other databases on the same server (other work on the machine) do not count. Sampled every
    0.1 s while running: a backend that ends (pgbench's, at its end) keeps its last sample, so up to
    0.1 s of its CPU can be missed."""

    def __init__(self, database: str | None) -> None:
        self.marker = f" {database} ".encode() if database else None
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
                if not cmdline.startswith(b"postgres: ") or self.marker not in cmdline.replace(b"\0", b" "):
                    continue
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
        return found

    def __enter__(self) -> BackendSampler:
        if self.marker is not None:
            self.start = self._sample()
            self.last = dict(self.start)
            self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self.last.update(self._sample())

    def __exit__(self, *exc: object) -> None:
        if self.marker is not None:
            self.stop.set()
            self.thread.join()
            self.last.update(self._sample())

    def seconds(self) -> float:
        return sum(value - self.start.get(pid, 0.0) for pid, value in self.last.items())


def load(
    port: int,
    token: str,
    clients: int,
    seconds: float,
    hot: bool,
    server_group: int | None = None,
    database: str | None = None,
) -> dict[str, float]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        my_errors: dict[str, int] = {}
        n = 0
        while time.monotonic() < stop_at:
            sku = "BENCH-0000" if hot else f"BENCH-{(index * 7919 + n * 31) % SKU_COUNT:04d}"
            n += 1
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            started = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/orders", order_body(sku, next(CUSTOMERS)), headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                my_errors[type(exc).__name__] = my_errors.get(type(exc).__name__, 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.perf_counter() - started
            if status == 201:
                mine.append(elapsed)
            else:
                my_errors[str(status)] = my_errors.get(str(status), 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for key, count in my_errors.items():
                errors[key] = errors.get(key, 0) + count

    cpu_before = time.process_time()
    database_before, server_before = cpu_seconds(server_group)
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    with BackendSampler(database) as backends:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.monotonic() - started
    client_cpu = time.process_time() - cpu_before
    database_after, server_after = cpu_seconds(server_group)
    latencies.sort()
    per_order = 1000 / max(len(latencies), 1)
    return {
        # Where the machine's CPU went, per placed order.
        "server_cpu_ms": (server_after - server_before) * per_order,
        # The bench database's backends only, when known; else every PostgreSQL process.
        "database_cpu_ms": (backends.seconds() if database else database_after - database_before) * per_order,
        # CPU the load generator itself used, in cores (it shares the machine with the server).
        "client_cores": client_cpu / wall,
        "orders": len(latencies),
        "orders_per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else float("nan"),
        "errors": sum(errors.values()),
        "error_kinds": errors,  # type: ignore[dict-item]
    }


def pgbench_script(statements: list[str], hot: bool, number: str) -> str:
    """The captured statements as a pgbench transaction: literal ids → variables set by \\gset."""
    lines = [
        f"\\set sku_index random(0, {SKU_COUNT - 1})",
        "\\set key random(1, 999999999999)",
        f"\\set variant_id {VARIANT_BASE} + :sku_index",
        f"\\set stock_id {STOCK_BASE} + 2 * :sku_index",
        # Django's connection health check (CONN_HEALTH_CHECKS, on in settings): a `SELECT 1` at the
        # start of every request that reuses its connection. It bypasses the query capture, but the
        # database runs it for every order all the same.
        "SELECT 1;",
        "BEGIN;",
    ]
    number_literal = number  # the captured order's
    counter = any("orders_ordercounter" in sql for sql in statements)
    for sql in statements:
        if sql.startswith(("BEGIN", "COMMIT")):
            continue
        # The confirmation's event key embeds the order id ("order_confirmation:<id>"): a pgbench
        # variable right after a colon would read as a cast, so build the string instead.
        sql = sql.replace(
            f"'order_confirmation:{ID_BASES['orders_order']}'", "'order_confirmation:' || :orders_order_id"
        )
        for table, base in ID_BASES.items():
            sql = re.sub(rf"(?<![0-9]){base}(?![0-9])", f":{table}_id", sql)
        # Task rows have UUID keys: a fresh one per transaction.
        sql = re.sub(r"'[0-9a-f]{32}'::uuid", "gen_random_uuid()", sql)
        # Variables stay outside string literals: with the extended protocol pgbench sends them as
        # parameters, which a literal cannot hold.
        # The order's number: from the counter row (:last_number) or, with the sequence, read back by
        # the order's INSERT (:orders_order_number).
        number_variable = ":last_number" if counter else ":orders_order_number"
        sql = sql.replace(f"'{number_literal}'", f"({number_variable})::text").replace(
            f"'order {number_literal}'", f"'order ' || {number_variable}"
        )
        sql = sql.replace("'BENCHKEY'", "'BK' || :key")
        # Compact JSON in a literal (`"on_hold":false`) would read as a pgbench variable: a space after
        # the colon spells the same JSON.
        sql = re.sub(r'(?<=["\]}]):(?=[A-Za-z0-9_])', ": ", sql)
        sql = sql.replace(
            f"'+38050{CAPTURED_CUSTOMER:07d}'",
            "'+38050' || lpad((CAST(:key AS bigint) % 10000000)::text, 7, '0')",
        )
        sql = sql.replace(f"'c{CAPTURED_CUSTOMER}@example.com'", "'c' || :key || '@example.com'")
        # The order's provisional number (replaced by the real one at the end of the placement) must
        # be unique per transaction too.
        sql = re.sub(r"'~[0-9a-f]{19}'", "'~' || :key", sql)
        if not hot:
            sql = sql.replace("'BENCH-0000'", "'BENCH-' || lpad(:sku_index::text, 4, '0')")
            sql = re.sub(rf"(?<![0-9]){VARIANT_BASE}(?![0-9])", ":variant_id", sql)
            sql = re.sub(rf"(?<![0-9]){STOCK_BASE}(?![0-9])", ":stock_id", sql)
        returning = re.search(r'RETURNING "(\w+)"\."id"$', sql) or re.search(
            r'^INSERT INTO "(\w+)".* RETURNING "id"(, "\w+")*$', sql
        )
        if returning and returning.group(1) in ID_BASES:
            lines.append(f"{sql} \\gset {returning.group(1)}_")
        elif re.match(r'SELECT "orders_ordercounter"\."last_number"', sql) or sql.endswith(
            'RETURNING "last_number"'
        ):
            lines.append(f"{sql} \\gset")
        else:
            lines.append(f"{sql};")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def settle(bench_url: str) -> None:
    """Vacuum and checkpoint before a measured run, so that neither side pays for the dead rows and dirty
    pages the previous one left (the raw side writes twice as much, and autovacuum and the checkpointer
    would otherwise do that work during our next round)."""
    import psycopg

    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def find_pgbench() -> str | None:
    """pgbench on PATH, or in Debian's versioned PostgreSQL directory (package postgresql-contrib or
    postgresql-client: `apt-get install postgresql-contrib`)."""
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), key=lambda p: p.parent.parent.name)
    return str(candidates[-1]) if candidates else None


def run_pgbench(
    bench_url: str,
    script: str,
    clients: int,
    seconds: int,
    protocol: str,
    name: str = "replay",
    defines: dict[str, int] | None = None,
) -> tuple[float, float, float]:
    """Transactions/s, and PostgreSQL's and pgbench's own CPU per transaction (ms), with the statements
    sent by `protocol` (pgbench's -M: `simple`, `extended` or `prepared`)."""
    pgbench = find_pgbench()
    if pgbench is None:
        print("  pgbench not found (apt-get install postgresql-contrib): raw figures skipped")
        return float("nan"), float("nan"), float("nan")
    script_path = ROOT / "var" / f"bench-place-orders.{name}.pgbench.sql"
    script_path.parent.mkdir(exist_ok=True)
    script_path.write_text(script)
    parts = urlsplit(bench_url)
    children_before = os.times()
    sampler = BackendSampler(parts.path.lstrip("/"))
    sampler.__enter__()
    result = subprocess.run(
        [
            pgbench,
            "-n",
            "-M",
            protocol,
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 2)),
            "-T",
            str(seconds),
            *(f"-D{key}={value}" for key, value in (defines or {}).items()),
            "-f",
            str(script_path),
            parts.path.lstrip("/"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    children_after = os.times()
    sampler.__exit__()
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
    if result.returncode != 0 or match is None or processed is None:
        print(f"  pgbench failed:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
        return float("nan"), float("nan"), float("nan")
    if failed and int(failed.group(1)):
        print(f"  pgbench: {failed.group(1)} failed transactions")
    per_transaction = 1000 / max(int(processed.group(1)), 1)
    pgbench_cpu = (children_after.children_user + children_after.children_system) - (
        children_before.children_user + children_before.children_system
    )
    return (
        float(match.group(1)),
        sampler.seconds() * per_transaction,
        pgbench_cpu * per_transaction,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="benchmark the embedded SQLite default")
    parser.add_argument("--hot", action="store_true", help="every client orders the same SKU")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=2, help="Python threads per worker")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds of ours and pgbench for the ratio"
    )
    args = parser.parse_args()
    client_counts = [int(n) for n in args.clients.split(",")]

    env, bench_url, cleanup = prepare_database(args.sqlite)
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"Orderloop place-orders benchmark — {engine}, {'hot SKU' if args.hot else f'{SKU_COUNT} SKUs'}, "
        f"{args.seconds:g} s per step, {os.cpu_count()} CPUs"
    )
    server = None
    try:
        token = json.loads(run_django(SETUP_SCRIPT, env))["token"]
        port = free_port()
        server = start_server(env, port, args.workers, args.threads)
        load(port, token, 2, 2.0, args.hot)  # warm-up: imports, connections, caches
        results = {}
        for clients in client_counts:
            result = load(
                port,
                token,
                clients,
                args.seconds,
                args.hot,
                server_group=server.pid,
                database=None if args.sqlite else BENCH_DB,
            )
            results[clients] = result
            print(
                f"  {clients:>3} clients: {result['orders_per_s']:8.1f} orders/s   p50 {result['p50_ms']:7.1f} ms   "
                f"p99 {result['p99_ms']:7.1f} ms   errors {result['errors']}   "
                f"load generator {result['client_cores']:.2f} cores   "
                f"CPU per order: server {result['server_cpu_ms']:.1f} ms"
                + (f", PostgreSQL {result['database_cpu_ms']:.1f} ms" if bench_url else "")
                + (f" {result['error_kinds']}" if result["errors"] else "")
            )
        if bench_url:
            # The server stays up, idle, while pgbench runs: it uses no CPU then.
            captured = json.loads(
                run_django(
                    CAPTURE_SCRIPT,
                    env,
                    json.dumps(ID_BASES),
                    str(NUMBER_BASE),
                    token,
                    order_body("BENCH-0000", CAPTURED_CUSTOMER),
                )
            )
            statements, protocol = captured["statements"], captured["protocol"]
            replay = pgbench_script(statements, args.hot, captured["number"])
            lean = (ROOT / "bench" / "lean_placement.sql").read_text()
            lean_defines = {
                "delivery_id": captured["delivery_id"],
                "payment_id": captured["payment_id"],
                "variant_base": VARIANT_BASE,
                "stock_base": STOCK_BASE,
            }
            top = max(client_counts)
            # Ours, the lean reference and the replay alternate, so a drift in the machine's speed (this
            # kind of machine has phases, and other work shares it) weighs on every side alike.
            totals = {"ours": [0.0, 0.0], "lean": [0.0, 0.0], "replay": [0.0, 0.0]}
            cpu = {"ours": [0.0, 0.0], "lean": [0.0, 0.0], "replay": [0.0, 0.0]}
            p99s = []
            for round_number in range(1, args.rounds + 1):
                settle(bench_url)
                mine = load(
                    port, token, top, args.seconds, args.hot, server_group=server.pid, database=BENCH_DB
                )
                settle(bench_url)
                lean_tps, lean_database_ms, _lean_pgbench_ms = run_pgbench(
                    bench_url, lean, top, int(args.seconds), "prepared", "lean", lean_defines
                )
                settle(bench_url)
                raw, raw_database_ms, _pgbench_ms = run_pgbench(
                    bench_url, replay, top, int(args.seconds), protocol
                )
                totals["ours"][0] += mine["orders"]
                totals["ours"][1] += mine["orders"] / mine["orders_per_s"] if mine["orders"] else args.seconds
                totals["lean"][0] += lean_tps * int(args.seconds)
                totals["lean"][1] += int(args.seconds)
                totals["replay"][0] += raw * int(args.seconds)
                totals["replay"][1] += int(args.seconds)
                cpu["ours"][0] += mine["database_cpu_ms"]
                cpu["ours"][1] += mine["server_cpu_ms"]
                cpu["lean"][0] += lean_database_ms
                cpu["replay"][0] += raw_database_ms
                p99s.append(mine["p99_ms"])
                print(
                    f"  round {round_number}: ours {mine['orders_per_s']:7.1f} orders/s (p99 {mine['p99_ms']:.0f} ms, "
                    f"CPU per order: server {mine['server_cpu_ms']:.1f} ms, PostgreSQL {mine['database_cpu_ms']:.1f} ms)   "
                    f"lean reference {lean_tps:7.1f} tps (PostgreSQL {lean_database_ms:.1f} ms)   "
                    f"replay of our {len(statements)} statements ({protocol} protocol) {raw:7.1f} tps "
                    f"(PostgreSQL {raw_database_ms:.1f} ms)"
                )
            rate = {side: done / seconds for side, (done, seconds) in totals.items()}
            rounds = args.rounds
            print(
                f"  at {top} clients over {rounds} alternating rounds: ours {rate['ours']:.1f} orders/s, "
                f"p99 {max(p99s):.0f} ms (worst round), CPU per order: server {cpu['ours'][1] / rounds:.1f} ms, "
                f"PostgreSQL {cpu['ours'][0] / rounds:.1f} ms"
            )
            print(
                f"  HEADLINE ours ÷ lean raw-SQL reference (bench/lean_placement.sql, PostgreSQL "
                f"{cpu['lean'][0] / rounds:.1f} ms per order): {rate['ours'] / rate['lean']:.0%}"
            )
            print(
                f"  secondary: ours ÷ replay of our own statements (PostgreSQL {cpu['replay'][0] / rounds:.1f} ms "
                f"per order): {rate['ours'] / rate['replay']:.0%}"
            )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        cleanup()  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
