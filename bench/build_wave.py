"""Benchmark: release a wave of 1,000 ready orders and build its pick lists (target: under 2 s).

    .venv/bin/python bench/build_wave.py               # the embedded SQLite default
    .venv/bin/python bench/build_wave.py --postgres    # PostgreSQL (DATABASE_URL or 127.0.0.1:5432)
    .venv/bin/python bench/build_wave.py --orders 2000 --repeat 3

What it does:
1. Creates a scratch database (SQLite under var/bench-wave/, or PostgreSQL `orderloop_bench_wave`, dropped
   afterwards), migrates it, and builds a warehouse with 360 bins in three zones, 600 products in them,
   and N ready orders (cash on delivery, confirmed; 1–4 lines each, 10% express, most with a promised
   date) placed through the real order services. This setup is not timed.
2. For each picking method, times `wave_release` of all N orders (locks, readiness re-check, the plan,
   N orders moved to `picking` with their events, totes, pick lists and pick
   tasks written) plus reading every pick list's rows in route order (`selectors.wave_pick_rows`, what
   the printed lists and the pickers' screens show). Each run is rolled back, so every method gets the same orders.
3. Prints, as a baseline measured in the same run, the pure planning step alone (domain.plan_wave on
   the same items) and the cost of the N status changes alone (one `order_transition` per order, and
   `orders.bulk.orders_transition`, which the release uses: one locking statement for all orders).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BENCH_DB = "orderloop_bench_wave"
TARGET_SECONDS = 2.0


class Rollback(Exception):
    pass


def prepare_environment(use_postgres: bool) -> object:
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.settings"
    os.environ["DEBUG"] = "0"
    if not use_postgres:
        os.environ.pop("DATABASE_URL", None)
        var_dir = ROOT / "var" / "bench-wave"
        shutil.rmtree(var_dir, ignore_errors=True)
        var_dir.mkdir(parents=True)
        os.environ["ORDERLOOP_VAR_DIR"] = str(var_dir)
        return lambda: shutil.rmtree(var_dir, ignore_errors=True)
    import psycopg

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

    def admin(sql: str) -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(server_url)._replace(path=f"/{BENCH_DB}"))

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    return cleanup


def setup_shop(order_count: int, seed: int = 7) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from orderloop.catalog.models import Product, Variant
    from orderloop.inventory.models import Warehouse
    from orderloop.inventory.services import bin_create, stock_adjust, stock_assign_bin
    from orderloop.orders import services as orders
    from orderloop.orders.domain import AddressData, CustomerData, LineData
    from orderloop.orders.models import Order

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="main", name="Main", country="UA", priority=1)
        bins = []
        step = 0
        for zone in ("A", "B", "C"):
            for aisle in range(1, 13):
                positions = list(range(1, 11)) if aisle % 2 else list(range(10, 0, -1))
                for position in positions:
                    step += 10
                    bins.append(
                        bin_create(
                            warehouse=warehouse,
                            zone=zone,
                            aisle=str(aisle),
                            shelf="1",
                            bin=str(position),
                            route_order=step,
                            actor=None,
                        )
                    )
        variants = []
        for n in range(600):
            product = Product.objects.create(handle=f"bench-{n}", name=f"Bench product {n}")
            variant = Variant.objects.create(
                product=product,
                sku=f"BENCH-{n:04d}",
                barcode=f"2{n:012d}",
                price_amount=Decimal("99.90"),
                currency="UAH",
                attributes={"size": "M"},
                weight_g=300,
                length_mm=300,
                width_mm=200,
                height_mm=40,
            )
            stock_assign_bin(
                variant=variant, warehouse=warehouse, bin=bins[rng.randrange(len(bins))], actor=None
            )
            stock_adjust(variant=variant, warehouse=warehouse, delta=100_000, actor=None)
            variants.append(variant)
    today = timezone.localdate()
    for n in range(order_count):
        skus = rng.sample(variants, rng.randint(1, 4))
        order = orders.order_place(
            channel="web",
            customer=CustomerData(
                name=f"Bench {n}", phone=f"+38050{1000000 + n:07d}", email="", language="uk"
            ),
            shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Bench st 1"),
            delivery_method_code="door_delivery",
            payment_method_code="cod",
            lines=[LineData(sku=v.sku, quantity=rng.randint(1, 3)) for v in skus],
            priority="express" if rng.random() < 0.1 else "normal",
            actor=None,
        )
        orders.order_confirm(order_id=order.pk, actor=None)
        if rng.random() < 0.8:
            Order.objects.filter(pk=order.pk).update(promised_date=today + timedelta(days=rng.randint(1, 5)))


def run(method: str, order_count: int) -> tuple[float, float, int, int, int]:
    """(release seconds, pick rows seconds, orders, pick lists, units) of one release, rolled back."""
    from django.db import transaction

    from orderloop.fulfillment import selectors, services

    result: tuple[float, float, int, int, int] = (0.0, 0.0, 0, 0, 0)
    try:
        with transaction.atomic():
            started = time.perf_counter()
            wave = services.wave_release(
                warehouse_code="main", method=method, max_orders=order_count, batch_size=10, actor=None
            )
            released = time.perf_counter()
            lists = selectors.wave_pick_rows(wave)
            units = sum(row.quantity for rows in lists.values() for row in rows)
            finished = time.perf_counter()
            result = (released - started, finished - released, wave.order_count, len(lists), units)
            raise Rollback
    except Rollback:
        pass
    return result


def baselines(order_count: int) -> tuple[float, float, float]:
    """The pure plan alone, and N order status changes alone: one `order_transition` each, and
    `orders_transition` (one locking statement for all) as the wave release does (rolled back)."""
    from django.db import transaction

    from orderloop.fulfillment import domain, selectors
    from orderloop.inventory.models import Warehouse
    from orderloop.orders.bulk import orders_transition
    from orderloop.orders.services import order_transition

    warehouse = Warehouse.objects.get(code="main")
    ids = list(selectors.ready_orders(warehouse=warehouse).values_list("id", flat=True)[:order_count])
    items = selectors.pick_items(order_ids=ids, warehouse=warehouse)
    started = time.perf_counter()
    domain.plan_wave(method="wave", order_ids=ids, items=items, batch_size=10)
    plan_seconds = time.perf_counter() - started
    try:
        with transaction.atomic():
            started = time.perf_counter()
            for order_id in ids:
                order_transition(order_id=order_id, to="picking", actor=None, reason="bench")
            transitions = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    try:
        with transaction.atomic():
            started = time.perf_counter()
            orders_transition(order_ids=ids, to="picking", actor=None, reason="bench")
            bulk = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return plan_seconds, transitions, bulk


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true", help="benchmark PostgreSQL instead of SQLite")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (the median is printed)")
    args = parser.parse_args()
    cleanup = prepare_environment(args.postgres)
    try:
        import django

        django.setup()
        from django.db import connection

        engine = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"Orderloop build-wave benchmark — {engine}, {args.orders} orders, {os.cpu_count()} CPUs, "
            f"{platform.python_implementation()} {platform.python_version()}"
        )
        started = time.perf_counter()
        setup_shop(args.orders)
        print(f"  setup (not timed): {time.perf_counter() - started:.1f} s")
        worst = 0.0
        for method in ("single", "batch", "zone", "wave"):
            runs = [run(method, args.orders) for _ in range(args.repeat)]
            release = statistics.median(r[0] for r in runs)
            rows = statistics.median(r[1] for r in runs)
            _s, _r, orders, lists, units = runs[0]
            worst = max(worst, release + rows)
            print(
                f"  {method:>6}: {orders} orders, {lists:>4} pick lists, {units} units — release {release:.3f} s"
                f" + pick rows {rows:.3f} s = {release + rows:.3f} s"
            )
        plan_seconds, transitions, bulk = baselines(args.orders)
        print(
            f"  baseline: pure plan {plan_seconds:.3f} s; {args.orders} status changes alone: one order_transition"
            f" each {transitions:.3f} s, orders_transition (one lock) {bulk:.3f} s"
        )
        verdict = "OK" if worst < TARGET_SECONDS else "TOO SLOW"
        print(f"  slowest method {worst:.3f} s (target < {TARGET_SECONDS:.0f} s): {verdict}")
        connection.close()
    finally:
        cleanup()  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
