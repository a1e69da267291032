"""Coupons on real orders: the discount on the order and its totals, the last use raced by two orders,
a cancelled order giving its use back, an edit recomputing the discount; the coupons API and page."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from orderloop.orders import services as order_services
from orderloop.orders.editing import order_line_set_quantity
from orderloop.orders.models import Order
from orderloop.promotions.errors import CouponInvalid
from orderloop.promotions.models import Coupon, CouponRedemption
from orderloop.promotions.services import coupon_create
from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures)
from tests.orders.helpers import customer, place


@pytest.fixture
def tee(stocked):  # noqa: F811
    return stocked("TEE", 50, price="500.00")


@pytest.mark.django_db
@pytest.mark.usefixtures("methods")
def test_a_percent_coupon_comes_off_the_goods_not_the_delivery(tee):
    coupon_create(code="WELCOME10", kind="percent", value="10")
    order = place(("TEE", 3), coupon_code="welcome10")
    assert (order.subtotal_amount, order.discount_amount, order.delivery_amount, order.total_amount) == (
        D("1500.00"),
        D("150.00"),
        D("120.00"),
        D("1470.00"),
    )
    assert order.coupon_code == "WELCOME10"
    assert Coupon.objects.get().uses == 1
    placed = order.events.get(kind="placed")
    assert placed.data["coupon"] == "WELCOME10" and placed.data["discount"] == "150.00"


@pytest.mark.django_db
@pytest.mark.usefixtures("methods")
def test_a_coupon_that_cannot_be_used_refuses_the_order_and_writes_nothing(tee):
    coupon_create(code="BIG", kind="fixed", value="200", currency="UAH", min_subtotal="1500")
    with pytest.raises(CouponInvalid) as refused:
        place(("TEE", 2), coupon_code="BIG")
    assert refused.value.details["reason"] == "min_subtotal"
    assert "1,500.00" in refused.value.details["coupon_code"]
    assert not Order.objects.exists() and Coupon.objects.get().uses == 0
    with pytest.raises(CouponInvalid):
        place(("TEE", 1), coupon_code="NO-SUCH")


@pytest.mark.django_db
@pytest.mark.usefixtures("methods")
def test_cancelling_gives_the_use_back_and_editing_recomputes_the_discount(tee):
    coupon_create(code="ONCE", kind="percent", value="20", max_uses=1)
    order = place(("TEE", 1), coupon_code="ONCE")
    order_line_set_quantity(
        order_id=order.pk, line_id=order.lines.get().pk, quantity=2, actor=None, reason="customer called"
    )
    order.refresh_from_db()
    assert (order.discount_amount, order.total_amount) == (D("200.00"), D("920.00"))
    assert CouponRedemption.objects.get().amount == D("200.00")
    order_services.order_cancel(order_id=order.pk, actor=None, reason="customer_request")
    assert Coupon.objects.get().uses == 0 and not CouponRedemption.objects.exists()
    assert order.events.filter(data__coupon_released="ONCE").exists()
    again = place(("TEE", 1), coupon_code="ONCE")  # usable again
    assert again.discount_amount == D("100.00")


@pytest.mark.django_db
@pytest.mark.usefixtures("methods")
def test_one_use_per_customer(tee):
    coupon_create(code="HELLO", kind="percent", value="10", max_uses_per_customer=1)
    place(("TEE", 1), coupon_code="HELLO")
    with pytest.raises(CouponInvalid) as refused:
        place(("TEE", 1), coupon_code="HELLO")
    assert refused.value.details["reason"] == "customer_limit"
    place(
        ("TEE", 1), coupon_code="HELLO", customer=customer(email="other@example.com", phone="+380671112233")
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("methods")
def test_the_last_use_goes_to_exactly_one_of_many_racing_orders(tee):
    coupon_create(code="LAST", kind="fixed", value="50", currency="UAH", max_uses=3)

    def attempt(index: int) -> str:
        try:
            place(("TEE", 1), coupon_code="LAST", customer=customer(name=f"Buyer {index}"))
            return "ok"
        except CouponInvalid as exc:
            return exc.details["reason"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(12)))
    assert results.count("ok") == 3 and results.count("used_up") == 9
    assert Coupon.objects.get().uses == 3 == CouponRedemption.objects.count()
    assert Order.objects.filter(discount_amount=D("50.00")).count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("methods")
def test_the_api_places_orders_with_coupons_and_manages_them(api_client, tee):
    manager, analyst = api_client("Manager"), api_client("Analyst")
    created = manager.post(
        "/api/v1/coupons",
        {"code": "spring", "kind": "fixed", "value": "100.00", "currency": "UAH", "max_uses": 10},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["code"] == "SPRING"
    duplicate = manager.post(
        "/api/v1/coupons",
        {"code": "SPRING", "kind": "percent", "value": "5"},
        content_type="application/json",
    )
    assert duplicate.status_code == 422 and "code" in duplicate.json()["details"]
    too_much = manager.post(
        "/api/v1/coupons", {"code": "X", "kind": "percent", "value": "150"}, content_type="application/json"
    )
    assert too_much.status_code == 422 and "value" in too_much.json()["details"]
    assert (
        analyst.post(
            "/api/v1/coupons", {"code": "Y", "kind": "percent", "value": "5"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert [c["code"] for c in manager.get("/api/v1/coupons").json()] == ["SPRING"]

    from tests.orders.helpers import payload

    body = payload(("TEE", 2))
    body["coupon_code"] = "spring"
    order = manager.post("/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert order.status_code == 201, order.json()
    assert order.json()["totals"]["discount"] == {"amount": "100.00", "currency": "UAH"}
    assert order.json()["coupon_code"] == "SPRING"
    body["coupon_code"] = "nope"
    refused = manager.post(
        "/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c-2"
    )
    assert refused.status_code == 422 and refused.json()["code"] == "coupon_invalid"


@pytest.mark.django_db
def test_the_coupon_page_lists_and_creates_for_managers_only(make_staff):
    make_staff("Manager", username="mila", password="pass-mila-1")
    make_staff("Warehouse", username="wes", password="pass-wes-1")
    client = Client()
    client.login(username="mila", password="pass-mila-1")
    response = client.post("/coupons/", {"code": "autumn", "kind": "percent", "value": "12"})
    assert response.status_code == 302
    assert "AUTUMN" in client.get("/coupons/").content.decode()
    bad = client.post("/coupons/", {"code": "autumn", "kind": "percent", "value": "12"})
    assert bad.status_code == 422 and "already exists" in bad.content.decode()
    other = Client()
    other.login(username="wes", password="pass-wes-1")
    assert other.get("/coupons/").status_code == 403
