"""API contracts of /api/v1/orders and the method lists: status codes, shapes and error codes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from orderloop.inventory.models import StockLevel, StockMovement
from orderloop.orders.models import Order

from .helpers import payload

pytestmark = pytest.mark.usefixtures("methods")

URL = "/api/v1/orders"


def post(client: Client, url: str, body: dict | None = None, **headers: str):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


@pytest.fixture
def manager(api_client):
    return api_client("Manager")


def test_place_returns_201_with_number_lines_and_money(manager, stocked):
    stocked("TEE", 5, price="129.90")
    body = payload(
        ("TEE", 2),
        priority="express",
        comment="Ring twice",
        preferred_delivery={"date": "2099-01-02", "time_from": "10:00", "time_to": "14:00"},
    )
    body["lines"][0]["note"] = "Engrave: Olena"
    response = post(manager, URL, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["Location"] == f"{URL}/{data['number']}"
    assert data["number"] == "1001"
    assert data["status"] == "new"
    assert data["allowed_next"] == ["confirmed", "awaiting_payment", "paid", "awaiting_stock", "cancelled"]
    assert data["priority"] == "express"
    assert data["customer"]["phone"] == "+380501234567"
    assert data["preferred_delivery"] == {
        "date": "2099-01-02",
        "time_from": "10:00:00",
        "time_to": "14:00:00",
    }
    (line,) = data["lines"]
    assert line["sku"] == "TEE" and line["note"] == "Engrave: Olena"
    assert (line["quantity"], line["quantity_reserved"], line["quantity_backordered"]) == (2, 2, 0)
    assert line["allocations"] == [{"warehouse": "kyiv", "quantity": 2}]
    assert line["unit_price"] == {"amount": "129.90", "currency": "UAH"}
    assert data["totals"] == {
        "subtotal": {"amount": "259.80", "currency": "UAH"},
        "discount": {"amount": "0.00", "currency": "UAH"},
        "delivery": {"amount": "120.00", "currency": "UAH"},
        "total": {"amount": "379.80", "currency": "UAH"},
    }
    card = manager.get(f"{URL}/1001").json()
    assert card["lines"] == data["lines"] and card["totals"] == data["totals"]


def test_401_without_a_token(db):
    assert Client().get(URL).status_code == 401
    response = Client().post(URL, data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("Support", "post", URL, 403),
        ("Warehouse", "post", URL, 403),
        ("Analyst", "post", f"{URL}/1001/confirm", 403),
        ("Support", "post", f"{URL}/1001/cancel", 403),
        ("Courier", "get", URL, 403),
        ("Courier", "get", "/api/v1/delivery-methods", 403),
        ("Support", "get", URL, 200),
        ("Warehouse", "get", f"{URL}/1001", 200),
        ("Analyst", "get", f"{URL}/1001/events", 200),
        ("Support", "post", f"{URL}/1001/notes", 201),
        ("Analyst", "get", "/api/v1/payment-methods", 200),
    ],
)
def test_role_matrix(api_client, stocked, role, method, path, status):
    stocked("TEE", 5)
    assert post(api_client("Manager"), URL, payload(("TEE", 1))).status_code == 201
    client = api_client(role)
    if method == "get":
        response = client.get(path)
    else:
        # Each action's own body: a field it does not know would be a 422 before the role is checked.
        bodies = {"notes": {"text": "hello"}, "cancel": {"reason": "x"}, "confirm": {}}
        body = bodies.get(path.rsplit("/", 1)[-1], payload(("TEE", 1)))
        response = post(client, path, body)
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_404_for_an_unknown_number(manager):
    for response in (manager.get(f"{URL}/999999"), post(manager, f"{URL}/999999/confirm")):
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"


def test_409_insufficient_stock_writes_nothing(manager, stocked):
    stocked("TEE", 1)
    stocked("CAP", 5)
    orders, movements = Order.objects.count(), StockMovement.objects.count()
    response = post(manager, URL, payload(("CAP", 2), ("TEE", 3)))
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "insufficient_stock"
    assert data["details"] == {"lines": [{"index": 1, "sku": "TEE", "requested": 3, "available": 1}]}
    assert (Order.objects.count(), StockMovement.objects.count()) == (orders, movements)
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == 0


def test_backordered_line_is_accepted_and_waits(manager, stocked):
    stocked("PRE", 1, backorder=True)
    data = post(manager, URL, payload(("PRE", 3))).json()
    assert data["status"] == "awaiting_stock"
    assert (data["lines"][0]["quantity_reserved"], data["lines"][0]["quantity_backordered"]) == (1, 2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": {"name": "A", "phone": "+380 12"}}, "customer.phone"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "TEE", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]}, "lines.1.sku"),
        ({"lines": [{"sku": "TEE", "quantity": "2"}]}, "lines.0.quantity"),
        (
            {
                "delivery_method": "express",
                "shipping_address": {
                    "country": "SE",
                    "city": "Stockholm",
                    "postal_code": "11455",
                    "line1": "Drottninggatan 1",
                },
                "customer": {"name": "A", "phone": "+46701234567"},
            },
            "delivery_method",
        ),
        (
            {"shipping_address": {"country": "UA", "city": "Kyiv", "line1": "x"}},
            "shipping_address.postal_code",
        ),
        ({"channel": "fax"}, "channel"),
        ({"lines": []}, "lines"),
    ],
)
def test_422_names_the_field(manager, stocked, change, field):
    stocked("TEE", 5)
    response = post(manager, URL, {**payload(("TEE", 1)), **change})
    assert response.status_code == 422, response.json()
    data = response.json()
    assert data["code"] == "validation_error"
    assert field in data["details"], data["details"]
    assert Order.objects.count() == 0


def test_409_duplicate_external_ref(manager, stocked):
    stocked("TEE", 5)
    body = payload(("TEE", 1), channel="marketplace", external_ref="PROM-778")
    assert post(manager, URL, body).status_code == 201
    response = post(manager, URL, body)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_external_ref"
    assert response.json()["details"]["number"] == "1001"


def test_actions_and_the_timeline(manager, stocked, make_staff):
    stocked("TEE", 5)
    make_staff("Manager", username="maria")
    post(manager, URL, payload(("TEE", 2)))
    assert post(manager, f"{URL}/1001/hold", {"reason": "check address"}).json()["on_hold"] is True
    assert post(manager, f"{URL}/1001/hold").json()["code"] == "already_on_hold"
    assert post(manager, f"{URL}/1001/release").json()["on_hold"] is False
    confirmed = post(manager, f"{URL}/1001/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = post(manager, f"{URL}/1001/confirm")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["details"]["from"] == "confirmed" and again.json()["details"]["to"] == "confirmed"
    assert post(manager, f"{URL}/1001/assign", {"username": "maria"}).json()["manager"] == "maria"
    assert post(manager, f"{URL}/1001/assign", {"username": "ghost"}).status_code == 422
    note = post(manager, f"{URL}/1001/notes", {"text": "Called, all good"})
    assert note.status_code == 201 and note.json()["kind"] == "note"
    assert post(manager, f"{URL}/1001/cancel", {"reason": ""}).status_code == 422
    cancelled = post(manager, f"{URL}/1001/cancel", {"reason": "customer request"}).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["lines"][0]["quantity_reserved"] == 0
    assert StockLevel.objects.get(variant__sku="TEE").reserved == 0
    events = manager.get(f"{URL}/1001/events").json()
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in events] == [
        ("placed", "", "new"),
        ("hold", "", ""),
        ("release", "", ""),
        ("status_change", "new", "confirmed"),
        ("assignment", "", ""),
        ("note", "", ""),
        ("status_change", "confirmed", "cancelled"),
    ]
    assert events[-1]["actor"] == "api-manager" and events[-1]["reason"] == "customer request"
    assert events[-1]["data"] == {"released_units": 2}


def test_list_filters_search_and_keyset_pages(manager, stocked):
    stocked("TEE", 50)
    post(manager, URL, payload(("TEE", 1), channel="phone"))
    post(manager, URL, payload(("TEE", 1), priority="express"))
    other = payload(("TEE", 1))
    other["customer"] = {"name": "Ivan Franko", "phone": "067 765 43 21", "email": "ivan@example.com"}
    post(manager, URL, other)
    post(manager, f"{URL}/1001/confirm")

    def numbers(query: str) -> list[str]:
        response = manager.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [item["number"] for item in response.json()["items"]]

    assert numbers("") == ["1003", "1002", "1001"]
    assert numbers("status=new") == ["1003", "1002"]
    assert numbers("status=new,confirmed") == ["1003", "1002", "1001"]
    assert numbers("status=new&status=confirmed") == ["1003", "1002", "1001"]
    assert numbers("channel=phone") == ["1001"]
    assert numbers("priority=express") == ["1002"]
    assert numbers("q=ivan@example.com") == ["1003"]
    assert numbers("q=0677654321") == ["1003"]
    assert numbers("q=franko") == ["1003"]
    assert numbers("q=1002") == ["1002"]
    assert numbers("manager=none") == ["1003", "1002", "1001"]
    assert numbers("created_from=2000-01-01&created_to=2999-01-01") == ["1003", "1002", "1001"]
    assert numbers("created_to=2000-01-01") == []
    assert manager.get(f"{URL}?status=lost").status_code == 422
    first = manager.get(f"{URL}?limit=2").json()
    assert [i["number"] for i in first["items"]] == ["1003", "1002"]
    rest = manager.get(f"{URL}?limit=2&cursor={first['next_cursor']}").json()
    assert [i["number"] for i in rest["items"]] == ["1001"] and rest["next_cursor"] is None
    item = first["items"][0]
    assert item["total"] == {"amount": "220.00", "currency": "UAH"}
    assert item["customer_phone"] == "+380677654321"


def test_method_lists(manager):
    delivery = manager.get("/api/v1/delivery-methods").json()
    assert [m["code"] for m in delivery] == ["door_delivery", "pickup_point", "express", "store_pickup"]
    assert delivery[0]["price"] == {"amount": "120.00", "currency": "UAH"}
    swedish = manager.get("/api/v1/delivery-methods?country=SE").json()
    assert [m["code"] for m in swedish] == ["door_delivery", "store_pickup"]
    payment = manager.get("/api/v1/payment-methods").json()
    assert [(m["code"], m["kind"], m["is_prepaid"]) for m in payment] == [
        ("card", "card", True),
        ("cod", "cod", False),
        ("bank_transfer", "bank_transfer", True),
        ("prepayment", "prepayment", True),
    ]


def test_actions_accept_an_empty_body(manager, stocked):
    stocked("TEE", 5)
    post(manager, URL, payload(("TEE", 1)))
    # as `curl -X POST` sends it: no body, no content type
    assert manager.generic("POST", f"{URL}/1001/hold").json()["on_hold"] is True
    assert manager.generic("POST", f"{URL}/1001/release").json()["on_hold"] is False
    assert manager.generic("POST", f"{URL}/1001/confirm").json()["status"] == "confirmed"
