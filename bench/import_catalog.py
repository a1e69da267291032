"""Benchmark: import a generated catalog CSV (default 10,000 variant rows) into a fresh database.

    .venv/bin/python bench/import_catalog.py [--rows 10000]
    DATABASE_URL=postgres://user@host:5432/db .venv/bin/python bench/import_catalog.py

SQLite: a scratch file under var/bench/. PostgreSQL: a scratch database `orderloop_bench` created (and
dropped afterwards) on the server named by DATABASE_URL. Runs the import task function directly (no
worker), first creating every product and variant, then again updating all of them (the upsert path).
Prints rows, seconds, rows/s and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BENCH_DB = "orderloop_bench"


def prepare_database() -> tuple[str, object]:
    """Point the settings at a scratch database; return (engine label, cleanup callable)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        var_dir = ROOT / "var" / "bench"
        var_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (var_dir / f"orderloop.sqlite3{suffix}").unlink(missing_ok=True)
        os.environ["ORDERLOOP_VAR_DIR"] = str(var_dir)
        return "sqlite", lambda: None

    import psycopg

    parts = urlsplit(url)
    admin_url = url

    def admin(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    return "postgresql", cleanup


def generate_csv(rows: int, *, price_offset: int = 0) -> str:
    from orderloop.catalog.domain import ean13_with_check_digit

    sizes = ["S", "M", "L", "XL"]
    lines = [
        "product_handle,product_name,category,description,sku,barcode,price,currency,weight_g,"
        "length_mm,width_mm,height_mm,attr:size,attr:colour,name:uk,name:ar\n"
    ]
    for n in range(rows):
        product = n // len(sizes)
        size = sizes[n % len(sizes)]
        barcode = ean13_with_check_digit(f"48{n:010d}")
        price = f"{100 + product % 900 + price_offset}.{n % 100:02d}"
        lines.append(
            f"prod-{product:06d},Product {product},cat-{product % 20},Generated product {product},"
            f"SKU-{n:07d},{barcode},{price},UAH,{150 + n % 50},300,200,{10 + n % 5},{size},Colour {product % 7},"
            f"Товар {product},منتج {product}\n"
        )
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    engine, cleanup = prepare_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from orderloop.catalog.models import CatalogImport, ImportStatus, Variant
    from orderloop.catalog.tasks import import_catalog

    try:
        call_command("migrate", verbosity=0)
        print(f"engine: {engine}, rows: {args.rows}")
        for label, offset in (("create", 0), ("update", 7)):
            job = CatalogImport.objects.create(
                file_name=f"bench-{label}.csv", content=generate_csv(args.rows, price_offset=offset)
            )
            started = time.perf_counter()
            import_catalog.call(import_id=job.pk)
            seconds = time.perf_counter() - started
            job.refresh_from_db()
            if job.status != ImportStatus.DONE:
                raise SystemExit(f"import {label} failed: {job.errors[:5]}")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{label:>6}: {job.total_rows} rows in {seconds:.2f} s = {job.total_rows / seconds:,.0f} rows/s "
                f"(products +{job.created_products}, variants +{job.created_variants} ~{job.updated_variants}); "
                f"peak RSS {peak_mb:.0f} MB"
            )
        assert Variant.objects.count() == args.rows
    finally:
        cleanup()  # type: ignore[operator]


if __name__ == "__main__":
    main()
