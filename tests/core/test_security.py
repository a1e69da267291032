"""Nobody guesses their way in (issue 17): staff logins lock out per username (django-axes), API tokens
are rate limited with 429 in the documented error shape, CSV exports cannot carry formulas, the shipping
desk's `next` stays on the site, and reading the cash-on-delivery books is apart from reconciling them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from orderloop.catalog import csv_io
from orderloop.catalog.models import Product, Variant
from orderloop.core import throttle
from orderloop.core.services import api_token_create

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass!"


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_ten_wrong_staff_passwords_lock_the_username_for_fifteen_minutes(
    make_staff: Callable[..., User],
) -> None:
    make_staff("Manager", username="maria", password=PASSWORD)
    client = Client()
    answers = [_login(client, "maria", f"wrong-{n}").status_code for n in range(9)]
    assert answers == [200] * 9  # the login page again, with its usual error
    tenth = _login(client, "maria", "wrong-9")
    assert tenth.status_code == 429
    # The right password is refused too, from anywhere, with a message that says why.
    locked = _login(Client(REMOTE_ADDR="203.0.113.5"), "maria", PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    html = locked.content.decode()
    assert 'data-testid="locked-out"' in html and "locked for 15 minutes" in html
    assert "_auth_user_id" not in Client().session
    # Another username is not affected.
    make_staff("Warehouse", username="wes", password=PASSWORD)
    assert _login(Client(), "wes", PASSWORD).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _login(Client(), "maria", PASSWORD).status_code == 302


def test_the_lockout_message_is_translated(make_staff: Callable[..., User]) -> None:
    make_staff("Manager", username="maria", password=PASSWORD)
    client = Client()
    client.cookies["orderloop_language"] = "uk"
    for n in range(10):
        _login(client, "maria", f"wrong-{n}")
    locked = _login(client, "maria", PASSWORD)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert 'lang="uk"' in html and "locked for 15 minutes" not in html and "15" in html


def test_the_staff_lockout_thresholds_are_settings(make_staff: Callable[..., User], settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    make_staff("Manager", username="maria", password=PASSWORD)
    client = Client()
    assert [_login(client, "maria", "nope").status_code for _ in range(3)] == [200, 200, 429]


def test_an_api_token_over_its_rate_gets_429_with_retry_after(api_client: Any, settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "THROTTLES": {"api": {"limit": 3, "window": 60}}}
    busy = api_client("Manager")
    assert [busy.get("/api/v1/warehouses").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/api/v1/warehouses")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and body["message"] and 0 < body["details"]["retry_after"] <= 60
    assert int(refused["Retry-After"]) == body["details"]["retry_after"]
    # Another token has its own count.
    assert api_client("Warehouse").get("/api/v1/warehouses").status_code == 200


def test_the_api_rate_counts_every_process_in_the_database(api_client: Any, settings: Any) -> None:
    settings.ORDERLOOP = {**settings.ORDERLOOP, "THROTTLES": {"api": {"limit": 2, "window": 60}}}
    client = api_client("Manager")
    client.get("/api/v1/warehouses")
    client.get("/api/v1/warehouses")
    # What another web process counted is what this one reads: the row, not a per-process cache.
    from orderloop.core.models import Throttle

    row = Throttle.objects.get(scope="api")
    assert row.hits == 2
    assert client.get("/api/v1/warehouses").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_failures_counted_at_the_same_moment_are_all_counted() -> None:
    """Eight guesses at once (eight threads, eight connections): every one is counted."""
    import threading

    from django.db import connection

    from orderloop.core.models import Throttle

    start = threading.Barrier(8)

    def fail() -> None:
        try:
            start.wait()
            throttle.record_failure("return_portal", "ORDER-1")
        finally:
            connection.close()

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Throttle.objects.get(scope="return_portal").hits == 8
    throttle.record_failure("return_portal", "ORDER-1")
    throttle.record_failure("return_portal", "ORDER-1")
    assert throttle.blocked_for("return_portal", "ORDER-1") > 14 * 60


# --- CSV exports ----------------------------------------------------------------------------------------


def _exported() -> list[list[str]]:
    text = csv_io.export_csv_text().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","Click")', "+1+2", "-2+3", "@SUM(A1:A9)"])
def test_the_catalog_export_neutralises_formulas_and_the_import_reads_them_back(name: str) -> None:
    product = Product.objects.create(handle="tee", name=name, description="=cmd|' /C calc'!A0")
    Variant.objects.create(product=product, sku="TEE-1", price_amount=Decimal("10.00"), currency="UAH")
    header, row = _exported()
    cells = dict(zip(header, row, strict=True))
    assert cells["product_name"] == f"'{name}" and cells["description"].startswith("'=")
    assert not [cell for cell in row if cell and cell[0] in "=+-@\t"]
    # Import of the exported file: the text comes back as it was.
    exported = csv_io.export_csv_text()
    Product.objects.update(name="changed", description="")
    plan = csv_io.build_plan(exported, default_currency="UAH")
    assert not plan.errors
    csv_io.apply_plan(plan)
    product.refresh_from_db()
    assert product.name == name and product.description == "=cmd|' /C calc'!A0"


def test_an_import_keeps_formula_like_text_as_it_is() -> None:
    content = "sku,product_name,price,description\nNEW-1,=1+2,10.00,@home\n"
    plan = csv_io.build_plan(content, default_currency="UAH")
    assert not plan.errors
    csv_io.apply_plan(plan)
    product = Variant.objects.get(sku="NEW-1").product
    assert (product.name, product.description) == ("=1+2", "@home")


# --- Redirects ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example/"])
def test_the_shipping_desk_never_redirects_off_site(make_staff: Callable[..., User], target: str) -> None:
    client = Client()
    client.force_login(make_staff("Warehouse"))
    response = client.post("/shipping/hand-over/", {"code": "NOPE", "next": target})
    assert response.status_code == 302 and response["Location"] == "/shipping/"


# --- Cash on delivery: read and write apart -------------------------------------------------------------


def test_the_analyst_reads_the_cod_books_but_cannot_record_cash(make_staff: Callable[..., User]) -> None:
    analyst = make_staff("Analyst", username="ana")
    page = Client()
    page.force_login(analyst)
    shown = page.get("/shipping/cod/")
    assert shown.status_code == 200 and 'name="amount"' not in shown.content.decode()
    assert page.post("/shipping/cod/", {"courier": "x", "currency": "UAH", "amount": "1"}).status_code == 403
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=analyst).plaintext}")
    assert api.get("/api/v1/cod/reconciliation").status_code == 200
    handover = {"courier": "x", "date": "2026-12-01", "currency": "UAH", "amount": "1.00"}
    refused = api.post("/api/v1/cod/handovers", handover, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_the_manager_still_reconciles(make_staff: Callable[..., User]) -> None:
    page = Client()
    page.force_login(make_staff("Manager"))
    assert page.get("/shipping/cod/").status_code == 200
    # Allowed to record: the service answers (an unknown courier is a message, not a 403).
    assert page.post("/shipping/cod/", {"courier": "x", "currency": "UAH", "amount": "1"}).status_code == 302
