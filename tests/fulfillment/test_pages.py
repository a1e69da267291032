"""Warehouse pages: the queue and wave release, the handheld pick screen, the packing station (htmx
partials re-rendered by the same services), form errors instead of 500s, and permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.core.services import staff_user_get_or_create
from orderloop.fulfillment.models import Parcel, PickList, ScanRecord, Wave
from orderloop.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def login(role: str) -> Client:
    user, _ = staff_user_get_or_create(username=f"page-{role.lower()}", role=role)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_queue_page_lists_orders_and_releases_a_wave(roles, shop, ready_order):
    express = ready_order(("TEE", 1), priority="express")
    normal = ready_order(("SOCKS", 1))
    client = login("Warehouse")
    page = client.get("/fulfillment/?warehouse=kyiv")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f'data-order="{express.number}"') < html.index(f'data-order="{normal.number}"')
    assert 'id="release-form"' in html and "Pick accuracy" in html
    assert 'href="/fulfillment/"' in html  # the nav link

    bad = client.post(
        "/fulfillment/waves/release/", {"warehouse": "kyiv", "method": "batch", "max_orders": 0}
    )
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    released = client.post(
        "/fulfillment/waves/release/",
        {"warehouse": "kyiv", "method": "batch", "max_orders": 10, "batch_size": 4},
    )
    wave = Wave.objects.get()
    assert released.status_code == 302 and released["Location"] == f"/fulfillment/waves/{wave.pk}/"
    detail = client.get(released["Location"]).content.decode()
    assert f"P{wave.pk}-1" in detail and "T" in detail
    nothing = client.post(
        "/fulfillment/waves/release/", {"warehouse": "kyiv", "method": "single", "max_orders": 10}
    )
    assert nothing.status_code == 409 and "No order is ready" in nothing.content.decode()


def test_handheld_pick_screen_confirms_by_scan_and_refuses_a_wrong_code(roles, shop, ready_order):
    ready_order(("TEE", 1), ("SOCKS", 2))
    client = login("Warehouse")
    client.post("/fulfillment/waves/release/", {"warehouse": "kyiv", "method": "single", "max_orders": 10})
    pick_list = PickList.objects.get()
    found = client.get(f"/fulfillment/pick/?picklist-code={pick_list.code.lower()}")
    assert found.status_code == 302 and found["Location"] == f"/fulfillment/pick/{pick_list.pk}/"
    page = client.get(found["Location"]).content.decode()
    assert 'data-current-bin="A-01-01-01"' in page and "data-scanner" in page and "autofocus" in page

    wrong = client.post(f"/fulfillment/pick/{pick_list.pk}/scan/", {"code": "B-01-01-01"}, headers=HTMX)
    assert wrong.status_code == 409
    html = wrong.content.decode()
    assert 'data-scan-outcome="refused"' in html and 'role="alert"' in html and "<html" not in html
    ok = client.post(f"/fulfillment/pick/{pick_list.pk}/scan/", {"code": "A-01-01-01"}, headers=HTMX)
    assert ok.status_code == 200 and 'data-scan-outcome="accepted"' in ok.content.decode()
    assert 'data-current-bin="C-01-01-01"' in ok.content.decode()
    short = client.post(
        f"/fulfillment/pick/{pick_list.pk}/short/",
        {"stock_id": shop.variants["SOCKS"].stock_levels.get(warehouse=shop.kyiv).pk, "found": 5},
        headers=HTMX,
    )
    assert short.status_code == 422 and 'data-scan-outcome="refused"' in short.content.decode()
    assert client.get(f"/fulfillment/pick/{pick_list.pk}/pdf/").content.startswith(b"%PDF")


def test_packing_station_scans_signals_and_closes_the_parcel(roles, shop, ready_order):
    order = ready_order(("TEE", 1))
    Order.objects.filter(pk=order.pk).update(thank_you_note=True)
    client = login("Warehouse")
    client.post("/fulfillment/waves/release/", {"warehouse": "kyiv", "method": "single", "max_orders": 10})
    pick_list = PickList.objects.get()
    client.post(f"/fulfillment/pick/{pick_list.pk}/scan/", {"code": shop.variants["TEE"].barcode})
    tote = pick_list.tasks.get().tote
    start = client.get(f"/fulfillment/pack/?code={tote.code}&warehouse=kyiv")
    assert start.status_code == 302 and start["Location"] == f"/fulfillment/pack/kyiv/{order.number}/"
    station = client.get(start["Location"]).content.decode()
    assert 'data-testid="thank-you-note"' in station and 'id="pack-scan-form"' in station
    assert not Parcel.objects.exists()  # looking does not write

    url = f"/fulfillment/pack/kyiv/{order.number}"
    wrong = client.post(f"{url}/scan/", {"code": shop.variants["BOOTS"].barcode}, headers=HTMX)
    assert wrong.status_code == 409
    assert 'data-refusal="wrong_item"' in wrong.content.decode() and "Wrong item" in wrong.content.decode()
    ok = client.post(f"{url}/scan/", {"code": shop.variants["TEE"].barcode}, headers=HTMX)
    assert ok.status_code == 200 and 'data-testid="box-suggestion"' in ok.content.decode()
    heavy = client.post(f"{url}/close/", {"box": "s", "weight_g": 9000}, headers=HTMX)
    assert heavy.status_code == 422 and "heavier than the box" in heavy.content.decode()
    closed = client.post(f"{url}/close/", {"box": "s", "weight_g": 310}, headers=HTMX)
    assert closed.status_code == 200 and 'data-testid="order-packed"' in closed.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PACKED
    parcel = Parcel.objects.get()
    assert client.get(f"/fulfillment/parcels/{parcel.pk}/slip.pdf").content.startswith(b"%PDF")
    assert client.get(f"/fulfillment/parcels/{parcel.pk}/invoice.pdf").status_code == 404  # COD: no invoice
    assert ScanRecord.objects.filter(stage="pack", outcome="wrong_item").count() == 1


def test_unknown_tote_or_order_is_a_message_not_an_error(roles, shop):
    client = login("Warehouse")
    page = client.get("/fulfillment/pack/?code=T999-1-1&warehouse=kyiv")
    assert page.status_code == 200 and "No tote or order has this code." in page.content.decode()
    assert client.get("/fulfillment/pack/kyiv/nope/").status_code == 404
    assert client.get("/fulfillment/pick/999/").status_code == 404


@pytest.mark.parametrize(
    ("role", "queue", "pick", "pack"),
    [
        ("Warehouse", 200, 200, 200),
        ("Manager", 200, 403, 403),
        ("Support", 403, 403, 403),
        ("Courier", 403, 403, 403),
    ],
)
def test_page_permissions(roles, shop, role, queue, pick, pack):
    client = login(role)
    assert client.get("/fulfillment/").status_code == queue
    assert client.get("/fulfillment/pick/").status_code == pick
    assert client.get("/fulfillment/pack/").status_code == pack


def test_pick_accuracy_tile_counts_wrong_products_only_and_says_so(roles, shop, ready_order):
    """An over-scan and an unknown code at packing are refused, but the picker did nothing wrong: the
    tile's figure leaves them out and says what it counts."""
    from orderloop.fulfillment import selectors, services

    order = ready_order(("TEE", 1), ("SOCKS", 1))
    services.wave_release(method="single", warehouse_code="kyiv", actor=None)
    pick_list = PickList.objects.get()
    for row in selectors.pick_rows(pick_list):
        services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None)
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    for code in ("TEE", "SOCKS", "BOOTS", "TEE", "SOCKS", "NO-SUCH-CODE"):
        services.parcel_scan(parcel_id=parcel.pk, code=code, actor=None)
    outcomes = list(ScanRecord.objects.filter(stage="pack").order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["accepted", "accepted", "wrong_item", "too_many", "too_many", "unknown_code"]

    html = login("Warehouse").get("/fulfillment/?warehouse=kyiv").content.decode()
    tile = html[html.index('id="pick-accuracy-tile"') :]
    tile = tile[: tile.index("</div>")]
    assert ">66.67%<" in tile  # 2 right ÷ (2 right + 1 wrong product)
    assert "1 wrong product found at packing, 2 units packed right" in tile
    assert "Not counted: over-scans (2) and unknown codes (1), refused at packing." in tile
