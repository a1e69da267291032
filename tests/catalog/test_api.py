"""API contract: status codes and the {"code", "message", "details"} error shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from orderloop.catalog.domain import ean13_with_check_digit
from orderloop.catalog.models import Category, Product, Variant

URL = "/api/v1/products"
EAN = ean13_with_check_digit("482000000005")


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Wool socks",
        "category": "socks",
        "name_translations": {"sv": "Ullstrumpor"},
        "variants": [
            {
                "sku": "SOCK-GRY-39",
                "price": "89.00",
                "currency": "SEK",
                "barcode": EAN,
                "weight_g": 60,
                "attributes": {"size": "39-42", "colour": "Grey"},
            },
        ],
    }
    data.update(overrides)
    return data


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def socks(db: Any) -> Category:
    return Category.objects.create(name="Socks", slug="socks")


def test_create_returns_201_with_money_as_string(
    api_client: Callable[[str], Client], socks: Category
) -> None:
    response = post(api_client("Manager"), URL, body())
    assert response.status_code == 201, response.content
    product = response.json()
    assert product["handle"] == "wool-socks"
    assert product["category"] == "socks"
    variant = product["variants"][0]
    assert (variant["price"], variant["currency"], variant["barcode_type"]) == ("89.00", "SEK", "ean13")
    assert variant["attributes"] == {"size": "39-42", "colour": "Grey"}


def test_no_token_is_401(db: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_courier_cannot_read_and_support_cannot_write(
    api_client: Callable[[str], Client], socks: Category
) -> None:
    courier = api_client("Courier").get(URL)
    assert courier.status_code == 403
    assert courier.json()["code"] == "permission_denied"
    support = api_client("Support")
    assert support.get(URL).status_code == 200
    refused = post(support, URL, body())
    assert refused.status_code == 403
    assert refused.json()["details"] == {"required": ["catalog.add_product"]}
    assert Product.objects.count() == 0


def test_duplicate_sku_is_409_naming_the_sku(
    api_client: Callable[[str], Client], socks: Category, make_variant: Any
) -> None:
    make_variant(sku="SOCK-GRY-39")
    response = post(api_client("Manager"), URL, body())
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "duplicate_sku"
    assert error["details"] == {"sku": "SOCK-GRY-39", "field": "variants.0.sku"}
    assert "SOCK-GRY-39" in error["message"]


def test_duplicate_barcode_is_409(
    api_client: Callable[[str], Client], socks: Category, make_variant: Any
) -> None:
    make_variant(sku="OTHER", barcode=EAN)
    response = post(api_client("Manager"), URL, body())
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_barcode"


def test_bad_barcode_and_currency_are_422_by_field(
    api_client: Callable[[str], Client], socks: Category
) -> None:
    data = body()
    data["variants"][0].update(barcode=EAN[:12] + str((int(EAN[12]) + 1) % 10), currency="ZZZ")
    response = post(api_client("Manager"), URL, data)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"variants.0.barcode", "variants.0.currency"}


def test_price_as_json_number_is_422(api_client: Callable[[str], Client], socks: Category) -> None:
    data = body()
    data["variants"][0]["price"] = 89.0
    response = post(api_client("Manager"), URL, data)
    assert response.status_code == 422
    assert "variants.0.price" in response.json()["details"]
    assert "decimal string" in response.json()["details"]["variants.0.price"]
    assert Variant.objects.count() == 0


def test_unknown_category_is_422(api_client: Callable[[str], Client], db: Any) -> None:
    response = post(api_client("Manager"), URL, body(category="nope"))
    assert response.status_code == 422
    assert "category" in response.json()["details"]


def test_list_search_filters_and_cursor(api_client: Callable[[str], Client], socks: Category) -> None:
    client = api_client("Manager")
    for n in range(3):
        data = body(name=f"Sock {n}")
        data["variants"][0].update(sku=f"S-{n}", barcode=None)
        assert post(client, URL, data).status_code == 201
    first = client.get(URL, {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["name"] for p in second["items"]] == ["Sock 2"] and second["next_cursor"] is None
    assert [p["name"] for p in client.get(URL, {"q": "S-1"}).json()["items"]] == ["Sock 1"]
    assert client.get(URL, {"category": "other"}).json()["items"] == []
    assert client.get(URL, {"cursor": "garbage"}).status_code == 422


def test_get_put_patch_delete_product(api_client: Callable[[str], Client], socks: Category) -> None:
    client = api_client("Manager")
    product_id = post(client, URL, body()).json()["id"]
    assert client.get(f"{URL}/{product_id}").json()["name"] == "Wool socks"
    put = client.put(
        f"{URL}/{product_id}",
        data=json.dumps({"name": "Warm socks", "category": None}),
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["category"] is None and put.json()["handle"] == "wool-socks"
    patch = client.patch(
        f"{URL}/{product_id}", data=json.dumps({"allow_backorder": True}), content_type="application/json"
    )
    assert patch.json()["allow_backorder"] is True and patch.json()["name"] == "Warm socks"
    deleted = client.delete(f"{URL}/{product_id}")
    assert deleted.status_code == 200 and deleted.json()["is_active"] is False
    assert client.get(f"{URL}/999999").status_code == 404


def test_variant_endpoints(api_client: Callable[[str], Client], socks: Category) -> None:
    client = api_client("Manager")
    product_id = post(client, URL, body()).json()["id"]
    created = post(client, f"{URL}/{product_id}/variants", {"sku": "SOCK/BLK-43", "price": "95.50"})
    assert created.status_code == 201 and created.json()["currency"] == "UAH"
    assert client.get("/api/v1/variants/SOCK/BLK-43").json()["price"] == "95.50"
    patched = client.patch(
        "/api/v1/variants/SOCK/BLK-43", data=json.dumps({"price": "99.00"}), content_type="application/json"
    )
    assert patched.json()["price"] == "99.00"
    clash = client.patch(
        "/api/v1/variants/SOCK/BLK-43",
        data=json.dumps({"sku": "SOCK-GRY-39"}),
        content_type="application/json",
    )
    assert clash.status_code == 409 and clash.json()["details"]["sku"] == "SOCK-GRY-39"
    assert client.delete("/api/v1/variants/SOCK/BLK-43").json()["is_active"] is False
    assert client.get("/api/v1/variants/NOPE").json()["code"] == "variant_not_found"
    assert api_client("Support").delete("/api/v1/variants/SOCK-GRY-39").status_code == 403


def test_categories(api_client: Callable[[str], Client], db: Any) -> None:
    client = api_client("Manager")
    created = post(client, f"{URL}/categories", {"name": "Hats & caps"})
    assert created.status_code == 201 and created.json()["slug"] == "hats-caps"
    assert post(client, f"{URL}/categories", {"name": "Hats & caps"}).status_code == 409
    assert [c["slug"] for c in client.get(f"{URL}/categories").json()] == ["hats-caps"]
