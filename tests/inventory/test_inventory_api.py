"""API contract tests: status codes, the JSON error shape and the stock arithmetic seen through the API."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from orderloop.inventory.models import BinLocation, StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust, stock_reserve

from .conftest import assert_error, post_json

pytestmark = pytest.mark.django_db

STOCK = "/api/v1/stock"
ADJUST = "/api/v1/stock/adjustments"
COUNTS = "/api/v1/stock/counts"
MOVEMENTS = "/api/v1/stock/movements"
WAREHOUSES = "/api/v1/warehouses"


@pytest.fixture
def variant(make_variant):
    return make_variant("TEE-M-RED", barcode="4820000000017")


@pytest.fixture
def warehouse_client(api_client):
    return api_client("Warehouse")


def adjustment(**overrides):
    body = {"sku": "TEE-M-RED", "warehouse": "kyiv", "quantity": 5, "reason": "receipt"}
    body.update(overrides)
    return body


# --- authentication and roles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", STOCK), ("get", MOVEMENTS), ("get", WAREHOUSES), ("post", ADJUST), ("post", COUNTS)],
)
def test_every_endpoint_needs_a_token(client, method, url):
    response = client.generic(method.upper(), url, "{}", content_type="application/json")
    assert_error(response, 401, "not_authenticated")


def test_a_bad_token_is_401(client):
    response = client.get(STOCK, HTTP_AUTHORIZATION="Bearer olt_nope_nope")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    ("role", "url", "body"),
    [
        ("Support", ADJUST, adjustment()),
        ("Analyst", ADJUST, adjustment()),
        ("Manager", COUNTS, {"sku": "TEE-M-RED", "warehouse": "kyiv", "counted": 1}),
        ("Warehouse", WAREHOUSES, {"code": "x", "name": "X", "country": "UA"}),
        ("Courier", STOCK, None),
    ],
)
def test_wrong_role_is_403_and_writes_nothing(api_client, variant, warehouse, role, url, body):
    client = api_client(role)
    response = client.get(url) if body is None else post_json(client, url, body)
    body = assert_error(response, 403, "permission_denied")
    assert body["details"]["required"]
    assert StockMovement.objects.count() == 0
    assert Warehouse.objects.count() == 1


# --- warehouses and bins ---------------------------------------------------------------------------


def test_admin_creates_a_warehouse(api_client):
    client = api_client("Admin")
    body = {
        "code": "odesa",
        "name": "Odesa",
        "address_line": "Portova 1",
        "city": "Odesa",
        "postal_code": "65000",
        "country": "ua",
        "priority": 3,
    }
    response = post_json(client, WAREHOUSES, body)
    assert response.status_code == 201, response.content
    assert response.json() == {**body, "country": "UA", "is_active": True}
    assert client.get(f"{WAREHOUSES}/odesa").json()["name"] == "Odesa"
    assert [row["code"] for row in client.get(WAREHOUSES).json()] == ["odesa"]


def test_duplicate_warehouse_code_is_409(api_client, warehouse):
    response = post_json(api_client("Admin"), WAREHOUSES, {"code": "KYIV", "name": "Again", "country": "UA"})
    assert_error(response, 409, "duplicate_warehouse")
    assert Warehouse.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "w1", "name": "W", "country": "XX"}, "country"),
        ({"code": "w1", "name": "W", "country": "UKR"}, "country"),
        ({"code": "w1", "name": "W"}, "country"),
        ({"code": "bad code!", "name": "W", "country": "UA"}, "code"),
        ({"code": "w1", "name": "  ", "country": "UA"}, "name"),
        ({"code": "w1", "name": "W", "country": "UA", "priority": -1}, "priority"),
        ({"code": "w1", "name": "W", "country": "UA", "priority": "high"}, "priority"),
    ],
)
def test_invalid_warehouse_is_422_naming_the_field(api_client, body, field):
    response = post_json(api_client("Admin"), WAREHOUSES, body)
    assert field in assert_error(response, 422, "validation_error")["details"]
    assert not Warehouse.objects.exists()


def test_update_a_warehouse(api_client, warehouse, second_warehouse):
    client = api_client("Admin")
    response = post_json(client, f"{WAREHOUSES}/kyiv", {"name": "Kyiv central", "priority": 9}, "patch")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["priority"]) == ("Kyiv central", 9)
    assert_error(
        post_json(client, f"{WAREHOUSES}/kyiv", {"code": "lviv"}, "patch"), 409, "duplicate_warehouse"
    )


def test_unknown_warehouse_is_404(api_client):
    client = api_client("Warehouse")
    assert_error(client.get(f"{WAREHOUSES}/nowhere"), 404, "warehouse_not_found")
    assert_error(client.get(f"{WAREHOUSES}/nowhere/bins"), 404, "warehouse_not_found")


def test_bins_get_derived_codes_and_route_order(api_client, warehouse):
    client = api_client("Admin")
    url = f"{WAREHOUSES}/kyiv/bins"
    first = post_json(client, url, {"zone": "a", "aisle": "1", "shelf": "2", "bin": "3"})
    assert first.status_code == 201, first.content
    assert first.json() == {
        "code": "A-01-02-03",
        "zone": "a",
        "aisle": "1",
        "shelf": "2",
        "bin": "3",
        "route_order": 10,
    }
    second = post_json(client, url, {"zone": "B", "aisle": "1", "shelf": "1", "bin": "1", "code": "DOCK"})
    assert second.json()["code"] == "DOCK"
    assert second.json()["route_order"] == 20
    early = post_json(client, url, {"zone": "A", "aisle": "0", "shelf": "0", "bin": "1", "route_order": 1})
    assert early.json()["route_order"] == 1
    listed = api_client("Warehouse").get(url).json()
    assert [row["code"] for row in listed] == ["A-00-00-01", "A-01-02-03", "DOCK"]


def test_duplicate_bin_is_409_and_missing_part_is_422(api_client, warehouse):
    client = api_client("Admin")
    url = f"{WAREHOUSES}/kyiv/bins"
    post_json(client, url, {"zone": "A", "aisle": "1", "shelf": "2", "bin": "3"})
    assert_error(
        post_json(client, url, {"zone": "A", "aisle": "01", "shelf": "02", "bin": "03"}), 409, "duplicate_bin"
    )
    body = assert_error(
        post_json(client, url, {"zone": "A", "aisle": "1", "shelf": "2"}), 422, "validation_error"
    )
    assert "bin" in body["details"]
    body = assert_error(
        post_json(client, url, {"zone": " ", "aisle": "1", "shelf": "2", "bin": "4"}), 422, "validation_error"
    )
    assert "zone" in body["details"]
    assert BinLocation.objects.count() == 1


def test_same_bin_code_in_another_warehouse_is_fine(api_client, warehouse, second_warehouse):
    client = api_client("Admin")
    for code in ("kyiv", "lviv"):
        response = post_json(
            client, f"{WAREHOUSES}/{code}/bins", {"zone": "A", "aisle": "1", "shelf": "1", "bin": "1"}
        )
        assert response.status_code == 201


# --- stock rows ------------------------------------------------------------------------------------


def test_stock_rows_per_warehouse_show_available(warehouse_client, variant, warehouse, second_warehouse):
    kyiv = stock_adjust(variant=variant, warehouse=warehouse, delta=10, actor=None)
    stock_reserve(stock_id=kyiv.pk, quantity=4, actor=None, reference="order 1")
    stock_adjust(variant=variant, warehouse=second_warehouse, delta=3, actor=None)
    response = warehouse_client.get(STOCK, {"sku": "TEE-M-RED"})
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    rows = {row["warehouse"]: row for row in body["items"]}
    assert rows["kyiv"] == {
        "sku": "TEE-M-RED",
        "warehouse": "kyiv",
        "on_hand": 10,
        "reserved": 4,
        "available": 6,
        "incoming": 0,
        "bin": None,
        "low": False,
    }
    assert (rows["lviv"]["available"], rows["lviv"]["low"]) == (3, True)
    for row in body["items"]:
        assert row["available"] == row["on_hand"] - row["reserved"]
    only_lviv = warehouse_client.get(STOCK, {"sku": "TEE-M-RED", "warehouse": "lviv"}).json()["items"]
    assert [row["warehouse"] for row in only_lviv] == ["lviv"]
    low = warehouse_client.get(STOCK, {"sku": "TEE-M-RED", "low": "true"}).json()["items"]
    assert [row["warehouse"] for row in low] == ["lviv"]
    by_barcode = warehouse_client.get(STOCK, {"sku": "4820000000017"}).json()["items"]
    assert len(by_barcode) == 2


def test_stock_list_paginates_with_a_cursor(warehouse_client, make_variant, warehouse):
    for n in range(5):
        stock_adjust(variant=make_variant(f"P-{n}"), warehouse=warehouse, delta=n + 1, actor=None)
    seen = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = warehouse_client.get(STOCK, params).json()
        seen += [row["sku"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"P-{n}" for n in range(5)]
    assert_error(warehouse_client.get(STOCK, {"cursor": "garbage"}), 422, "validation_error")
    assert_error(warehouse_client.get(STOCK, {"limit": 0}), 422, "validation_error")


def test_unknown_sku_or_warehouse_is_404(warehouse_client, warehouse):
    assert_error(warehouse_client.get(STOCK, {"sku": "NOPE"}), 404, "variant_not_found")
    assert_error(warehouse_client.get(STOCK, {"warehouse": "nowhere"}), 404, "warehouse_not_found")


# --- adjustments -----------------------------------------------------------------------------------


def test_adjustment_returns_the_updated_row(warehouse_client, variant, warehouse):
    response = post_json(warehouse_client, ADJUST, adjustment(quantity=12, note="delivery", reference="PO-1"))
    assert response.status_code == 201, response.content
    assert response.json()["on_hand"] == 12
    assert response.json()["available"] == 12
    response = post_json(warehouse_client, ADJUST, adjustment(quantity=-2, reason="adjustment"))
    assert (response.status_code, response.json()["on_hand"]) == (201, 10)
    movement = StockMovement.objects.order_by("id").first()
    assert (movement.reason, movement.note, movement.reference) == ("receipt", "delivery", "PO-1")
    assert movement.actor.username == "api-warehouse"


def test_adjustment_accepts_a_barcode(warehouse_client, variant, warehouse):
    response = post_json(warehouse_client, ADJUST, adjustment(sku="4820000000017", reason="return"))
    assert (response.status_code, response.json()["sku"]) == (201, "TEE-M-RED")


def test_adjustment_below_reserved_is_409_and_writes_nothing(warehouse_client, variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    stock_reserve(stock_id=stock.pk, quantity=3, actor=None, reference="order 7")
    movements_before = StockMovement.objects.count()
    response = post_json(warehouse_client, ADJUST, adjustment(quantity=-3, reason="adjustment"))
    body = assert_error(response, 409, "stock_below_reserved")
    assert body["details"].items() >= {"on_hand": 5, "reserved": 3, "requested_change": -3}.items()
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (5, 3)
    assert StockMovement.objects.count() == movements_before


def test_adjustment_unknown_sku_and_warehouse_are_404(warehouse_client, variant, warehouse):
    assert_error(post_json(warehouse_client, ADJUST, adjustment(sku="NOPE")), 404, "variant_not_found")
    assert_error(
        post_json(warehouse_client, ADJUST, adjustment(warehouse="nowhere")), 404, "warehouse_not_found"
    )
    assert not StockLevel.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"quantity": 0}, "quantity", "invalid_quantity"),  # the service's rule
        ({"quantity": 5_000_000}, "quantity", "invalid_quantity"),
        ({"quantity": 2.5}, "quantity", "validation_error"),  # the schema's shape
        ({"quantity": "5"}, "quantity", "validation_error"),
        ({"quantity": "abc"}, "quantity", "validation_error"),
        ({"quantity": True}, "quantity", "validation_error"),
        ({"quantity": None}, "quantity", "validation_error"),
        ({"quantity": 10**30}, "quantity", "invalid_quantity"),
        ({"reason": "count"}, "reason", "validation_error"),
        ({"reason": "reservation"}, "reason", "validation_error"),
        ({"reason": "stolen"}, "reason", "validation_error"),
        ({"sku": None}, "sku", "validation_error"),
        ({"sku": "x" * 500}, "sku", "validation_error"),
    ],
)
def test_bad_adjustment_input_is_422_naming_the_field(
    warehouse_client, variant, warehouse, overrides, field, code
):
    body = assert_error(post_json(warehouse_client, ADJUST, adjustment(**overrides)), 422, code)
    assert field in body["details"], body
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[]", '{"sku": "TEE-M-RED"}', ""])
def test_malformed_bodies_are_4xx_not_500(warehouse_client, variant, warehouse, raw):
    response = warehouse_client.post(ADJUST, data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "details"}


def test_nul_characters_are_refused_naming_the_field(warehouse_client, variant, warehouse):
    # The request guard (core/middleware.py) refuses them before any view: PostgreSQL cannot store them.
    response = post_json(warehouse_client, ADJUST, adjustment(note="a\x00b", reference="\x00"))
    body = assert_error(response, 422, "validation_error")
    assert set(body["details"]) == {"note", "reference"}
    body = assert_error(
        post_json(warehouse_client, ADJUST, adjustment(sku="TEE\x00")), 422, "validation_error"
    )
    assert set(body["details"]) == {"sku"}
    assert not StockMovement.objects.exists()


# --- counts ----------------------------------------------------------------------------------------


def test_count_sets_on_hand_and_writes_the_difference(warehouse_client, variant, warehouse):
    stock_adjust(variant=variant, warehouse=warehouse, delta=10, actor=None)
    response = post_json(
        warehouse_client, COUNTS, {"sku": "TEE-M-RED", "warehouse": "kyiv", "counted": 7, "note": "shelf"}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["on_hand"], response.json()["available"]) == (7, 7)
    last = StockMovement.objects.order_by("-id").first()
    assert (last.reason, last.on_hand_delta, last.note) == ("count", -3, "shelf")


def test_count_errors(warehouse_client, variant, warehouse):
    stock = stock_adjust(variant=variant, warehouse=warehouse, delta=10, actor=None)
    stock_reserve(stock_id=stock.pk, quantity=6, actor=None, reference="o")
    base = {"sku": "TEE-M-RED", "warehouse": "kyiv"}
    assert (
        "counted"
        in assert_error(post_json(warehouse_client, COUNTS, base | {"counted": -1}), 422, "invalid_quantity")[
            "details"
        ]
    )
    assert (
        "counted"
        in assert_error(
            post_json(warehouse_client, COUNTS, base | {"counted": 1.5}), 422, "validation_error"
        )["details"]
    )
    assert_error(post_json(warehouse_client, COUNTS, base | {"counted": 5}), 409, "stock_below_reserved")
    assert_error(
        post_json(warehouse_client, COUNTS, base | {"sku": "NOPE", "counted": 5}), 404, "variant_not_found"
    )
    assert StockMovement.objects.count() == 2


# --- ledger and bins -------------------------------------------------------------------------------


def test_movements_newest_first_with_keyset_pages(warehouse_client, variant, warehouse, second_warehouse):
    for delta in (5, 3, -1, 2):
        post_json(warehouse_client, ADJUST, adjustment(quantity=delta, reason="adjustment"))
    post_json(warehouse_client, ADJUST, adjustment(warehouse="lviv", quantity=9))
    body = warehouse_client.get(MOVEMENTS, {"sku": "TEE-M-RED", "warehouse": "kyiv", "limit": 3}).json()
    assert [row["on_hand_delta"] for row in body["items"]] == [2, -1, 3]
    assert [row["on_hand_after"] for row in body["items"]] == [9, 7, 8]
    assert body["items"][0]["actor"] == "api-warehouse"
    assert body["next_cursor"]
    rest = warehouse_client.get(
        MOVEMENTS, {"sku": "TEE-M-RED", "warehouse": "kyiv", "limit": 3, "cursor": body["next_cursor"]}
    ).json()
    assert [row["on_hand_delta"] for row in rest["items"]] == [5]
    assert rest["next_cursor"] is None
    everything = warehouse_client.get(MOVEMENTS).json()["items"]
    assert len(everything) == 5 and everything[0]["warehouse"] == "lviv"
    assert_error(warehouse_client.get(MOVEMENTS, {"sku": "NOPE"}), 404, "variant_not_found")
    assert_error(
        api_client_forbidden := warehouse_client.get(MOVEMENTS, {"cursor": "x"}), 422, "validation_error"
    )
    del api_client_forbidden


def test_assign_a_bin(api_client, warehouse_client, variant, warehouse, second_warehouse):
    admin = api_client("Admin")
    post_json(admin, f"{WAREHOUSES}/kyiv/bins", {"zone": "A", "aisle": "1", "shelf": "1", "bin": "1"})
    post_json(admin, f"{WAREHOUSES}/lviv/bins", {"zone": "L", "aisle": "1", "shelf": "1", "bin": "1"})
    body = {"sku": "TEE-M-RED", "warehouse": "kyiv", "bin": "a-01-01-01"}
    response = post_json(warehouse_client, "/api/v1/stock/bin", body, "put")
    assert (response.status_code, response.json()["bin"]) == (200, "A-01-01-01")
    assert_error(
        post_json(warehouse_client, "/api/v1/stock/bin", body | {"bin": "L-01-01-01"}, "put"),
        404,
        "bin_not_found",
    )
    cleared = post_json(warehouse_client, "/api/v1/stock/bin", body | {"bin": None}, "put")
    assert cleared.json()["bin"] is None
    assert_error(post_json(api_client("Support"), "/api/v1/stock/bin", body, "put"), 403, "permission_denied")


def test_ledger_stays_consistent_through_a_series_of_operations(
    warehouse_client, variant, warehouse, second_warehouse
):
    post_json(warehouse_client, ADJUST, adjustment(quantity=20))
    post_json(warehouse_client, ADJUST, adjustment(warehouse="lviv", quantity=4))
    stock = StockLevel.objects.get(warehouse=warehouse)
    stock_reserve(stock_id=stock.pk, quantity=8, actor=None, reference="o1")
    post_json(
        warehouse_client, ADJUST, adjustment(quantity=-15, reason="adjustment")
    )  # refused: below reserved
    post_json(warehouse_client, ADJUST, adjustment(quantity=-12, reason="adjustment"))
    post_json(warehouse_client, COUNTS, {"sku": "TEE-M-RED", "warehouse": "lviv", "counted": 1})
    post_json(warehouse_client, ADJUST, adjustment(quantity=2, reason="return"))
    rows = {
        row["warehouse"]: row for row in warehouse_client.get(STOCK, {"sku": "TEE-M-RED"}).json()["items"]
    }
    assert (rows["kyiv"]["on_hand"], rows["kyiv"]["reserved"], rows["kyiv"]["available"]) == (10, 8, 2)
    assert rows["lviv"]["on_hand"] == 1
    assert ledger_mismatches() == []
    call_command("check_stock_ledger")
