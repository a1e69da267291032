"""What the request guard (core/middleware.py) refuses before any view: NUL characters anywhere a value
arrives, bodies over the upload limit, and the API's unknown paths and wrong methods, all in the API's
JSON error shape, pages with a normal page. On PostgreSQL a NUL byte reaching a query was a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.inventory.models import Warehouse

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "Must not contain a NUL character."


def assert_api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def assert_page(response: Any, status: int, text: str) -> str:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<html" in html and text in html
    return html


@pytest.fixture
def manager_page(make_staff: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_staff("Manager", username="page-manager"))
    return client


def order_body(**line: Any) -> dict[str, Any]:
    return {
        "channel": "phone",
        "customer": {"name": "Olena Petrenko", "phone": "+380501234567"},
        "shipping_address": {"country": "UA", "city": "Kyiv", "line1": "Khreshchatyk 1"},
        "delivery_method": "courier",
        "payment_method": "cod",
        "lines": [{"sku": "TEE-RED-M", "quantity": 1, **line}],
    }


# --- NUL characters ----------------------------------------------------------------------------------


def test_a_nul_in_an_api_path_is_not_found(api_client: Callable[[str], Client]) -> None:
    body = assert_api_error(api_client("Admin").get("/api/v1/variants/A%00B"), 404, "not_found")
    assert body["details"] == {}


def test_a_nul_in_a_page_path_is_a_not_found_page() -> None:
    assert_page(Client().get("/shop/p/tee%00red/"), 404, "Page not found")


@pytest.mark.parametrize("url", ["/api/v1/orders?q=a%00", "/api/v1/products?q=a%00&active=true"])
def test_a_nul_in_an_api_search_is_a_validation_error_naming_the_parameter(
    api_client: Callable[[str], Client], url: str
) -> None:
    body = assert_api_error(api_client("Admin").get(url), 422, "validation_error")
    assert body["details"] == {"q": NUL_MESSAGE}


def test_an_escaped_percent_sign_is_not_a_nul(api_client: Callable[[str], Client]) -> None:
    # `%2500` is the text "%00", which anyone may search for.
    response = api_client("Admin").get("/api/v1/products?q=%2500")
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_nul_in_the_shop_search_is_a_bad_request_page() -> None:
    html = assert_page(Client().get("/shop/?q=a%00"), 400, "Some of what was sent is not valid.")
    assert 'class="shop-header"' in html  # the shop's own page, not a bare error


def test_a_nul_in_the_back_office_search_is_a_bad_request_page(manager_page: Client) -> None:
    html = assert_page(manager_page.get("/orders/?q=a%00"), 400, "Some of what was sent is not valid.")
    assert 'class="topbar"' in html


def test_a_nul_in_an_order_line_sku_is_refused_naming_the_line(
    api_client: Callable[[str], Client], warehouse: Warehouse
) -> None:
    response = api_client("Admin").post(
        "/api/v1/orders", order_body(sku="TEE\x00RED"), content_type="application/json"
    )
    body = assert_api_error(response, 422, "validation_error")
    assert body["details"] == {"lines.0.sku": NUL_MESSAGE}


def test_a_nul_in_a_scanned_code_is_refused(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").post(
        "/api/v1/returns/scan", {"code": "RMA-\x00000001"}, content_type="application/json"
    )
    body = assert_api_error(response, 422, "validation_error")
    assert body["details"] == {"code": NUL_MESSAGE}


def test_a_nul_in_json_sent_as_plain_text_is_refused(api_client: Callable[[str], Client]) -> None:
    body = json.dumps({"code": "odesa", "name": "Odesa\x00", "country": "UA"})
    response = api_client("Admin").post("/api/v1/warehouses", body, content_type="text/plain")
    assert assert_api_error(response, 422, "validation_error")["details"] == {"name": NUL_MESSAGE}


def test_a_nul_in_a_json_key_is_refused(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").post(
        "/api/v1/warehouses", {"code": "odesa", "na\x00me": "Odesa"}, content_type="application/json"
    )
    body = assert_api_error(response, 422, "validation_error")
    assert body["details"] == {"na\x00me": NUL_MESSAGE}
    assert not Warehouse.objects.exists()


def test_a_nul_in_a_scan_form_on_a_page_is_a_bad_request_page(manager_page: Client) -> None:
    response = manager_page.post("/fulfillment/pack/kyiv/ORD-1/scan/", {"code": "4820000\x00"})
    assert_page(response, 400, "Some of what was sent is not valid.")


def test_a_nul_in_a_login_form_is_a_bad_request_page() -> None:
    assert_page(Client().post("/login/", {"username": "admin\x00", "password": "x"}), 400, "not valid")


def test_a_nul_in_a_multipart_field_of_the_api_is_refused(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").post("/api/v1/orders/imports", {"channel": "marketplace\x00"})
    body = assert_api_error(response, 422, "validation_error")
    assert body["details"] == {"channel": NUL_MESSAGE}


def test_a_clean_request_goes_through(api_client: Callable[[str], Client]) -> None:
    payload = {"code": "odesa", "name": "Odesa south", "country": "UA"}
    response = api_client("Admin").post("/api/v1/warehouses", payload, content_type="application/json")
    assert response.status_code == 201, response.content


# --- Bodies over the upload limit -------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413(api_client: Callable[[str], Client], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"code": "odesa", "name": "x" * 2000, "country": "UA"})
    response = api_client("Admin").post("/api/v1/warehouses", payload, content_type="application/json")
    body = assert_api_error(response, 413, "payload_too_large")
    assert body["details"] == {"max_bytes": 1000}
    assert not Warehouse.objects.exists()


def test_a_multipart_form_over_the_limit_is_413(api_client: Callable[[str], Client], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client("Admin").post("/api/v1/orders/imports", {"channel": "marketplace" * 200})
    assert_api_error(response, 413, "payload_too_large")


def test_a_page_form_over_the_limit_is_a_413_page(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post("/login/", {"username": "a" * 2000, "password": "x"})
    assert_page(response, 413, "The request is larger than this server accepts.")


def test_a_form_with_more_fields_than_allowed_is_a_400(
    api_client: Callable[[str], Client], settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"field{n}": "x" for n in range(10)}
    assert_api_error(api_client("Admin").post("/api/v1/orders/imports", fields), 400, "bad_request")


# --- Unknown API paths and wrong methods ------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing", "/api/v1/orders/ORD-1/no-such-action"])
def test_an_unknown_api_path_is_a_json_404(api_client: Callable[[str], Client], url: str) -> None:
    assert_api_error(api_client("Admin").get(url), 404, "not_found")
    assert_api_error(Client().get(url), 404, "not_found")  # without a token too


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").delete("/api/v1/warehouses")
    body = assert_api_error(response, 405, "method_not_allowed")
    assert body["details"] == {"allowed": ["GET", "POST"]}
    assert response["Allow"] == "GET, POST"


def test_a_wrong_method_on_an_action_is_a_json_405(api_client: Callable[[str], Client]) -> None:
    response = api_client("Admin").put("/api/v1/orders/ORD-1/cancel", {}, content_type="application/json")
    assert_api_error(response, 405, "method_not_allowed")


def test_the_error_message_follows_the_request_language() -> None:
    body = Client(HTTP_ACCEPT_LANGUAGE="uk").get("/api/v1/no-such-thing").json()
    assert body["code"] == "not_found"
    assert body["message"] != "Not found."
