"""Print the SQL statements one API order placement sends (Django's CaptureQueriesContext), on the engine
DATABASE_URL names (SQLite when unset), in a scratch database.

    .venv/bin/python bench/placement_statements.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/placement_statements.py

The placement is the benchmark's (bench/place_orders.py): one line, cash on delivery, an API token and an
Idempotency-Key. Django's connection health check (`SELECT 1` at a request's reuse of a connection) is
not seen by the capture and is not counted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.settings")
os.environ.setdefault("ORDERLOOP_VAR_DIR", tempfile.mkdtemp(prefix="orderloop-statements-"))


def main() -> int:
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

    names = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        from orderloop.catalog.models import Product, Variant
        from orderloop.core.services import api_token_create, roles_sync, staff_user_get_or_create
        from orderloop.inventory.models import Warehouse
        from orderloop.inventory.services import stock_adjust

        roles_sync()
        user, _created = staff_user_get_or_create(username="bench", role="Manager")
        token = api_token_create(user=user, name="bench").plaintext
        warehouse = Warehouse.objects.create(code="w1", name="Main", country="UA", priority=1)
        for n in range(2):
            product = Product.objects.create(handle=f"bench-{n}", name=f"Bench product {n}")
            variant = Variant.objects.create(
                product=product, sku=f"BENCH-{n:04d}", price_amount=Decimal("99.90"), currency="UAH"
            )
            stock_adjust(variant=variant, warehouse=warehouse, delta=1000, actor=None)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

        def body(customer: int) -> str:
            return json.dumps(
                {
                    "channel": "api",
                    "customer": {
                        "name": "Bench",
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
                    "lines": [{"sku": "BENCH-0000", "quantity": 1}],
                }
            )

        # A first order warms the caches (methods, permissions, the token's last use).
        client.post("/api/v1/orders", body(1), content_type="application/json", HTTP_IDEMPOTENCY_KEY="warm")
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/api/v1/orders", body(2), content_type="application/json", HTTP_IDEMPOTENCY_KEY="measured"
            )
        assert response.status_code == 201, response.content
        statements = [q["sql"] for q in captured.captured_queries]
        for number, sql in enumerate(statements, 1):
            print(f"{number:>2}. {sql[:160]}")
        print(f"{connection.vendor}: {len(statements)} statements for one API placement")
    finally:
        teardown_databases(names, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
