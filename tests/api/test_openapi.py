"""The OpenAPI document is right: every shape is published under a name of its own (so `POST /orders`
documents the orders' lines, not purchasing's), every operation documents its error answers with the
error shape, and request bodies refuse fields they do not know instead of ignoring them."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

import orderloop
from orderloop.api.main import api
from orderloop.inventory.models import Warehouse
from orderloop.orders.models import Order

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return api.get_openapi_schema()


def published_classes(components: dict[str, Any]) -> dict[str, set[type]]:
    """Every model and enum class of the project whose name is a component of the document."""
    found: dict[str, set[type]] = defaultdict(set)
    for module_info in pkgutil.walk_packages(orderloop.__path__, "orderloop."):
        if ".migrations" in module_info.name or module_info.name.endswith(("settings", "asgi", "wsgi")):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, BaseModel | enum.Enum)
                and name in components
            ):
                found[name].add(value)
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = document["paths"][path][method.lower()]
    return resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])


# --- Unique names ------------------------------------------------------------------------------------


def test_no_two_classes_share_a_published_name(document: dict[str, Any]) -> None:
    shared = {
        name: sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
        for name, classes in published_classes(document["components"]["schemas"]).items()
        if len(classes) > 1
    }
    assert shared == {}


def test_each_published_model_documents_its_own_fields(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    wrong = {}
    for name, classes in published_classes(components).items():
        (cls,) = classes
        if not issubclass(cls, BaseModel):
            continue
        fields = {field.alias or key for key, field in cls.model_fields.items()}
        if set(components[name].get("properties", {})) != fields:
            wrong[name] = (sorted(components[name].get("properties", {})), sorted(fields))
    assert wrong == {}


def test_placing_an_order_documents_the_order_lines(document: dict[str, Any]) -> None:
    order = body_schema(document, "POST", "/api/v1/orders")
    line = resolve(document, order["properties"]["lines"]["items"])
    assert set(line["properties"]) == {"sku", "quantity", "note"}


def test_refunds_document_their_own_bodies(document: dict[str, Any]) -> None:
    return_refund = body_schema(document, "POST", "/api/v1/returns/{number}/refund")
    payment_refund = body_schema(document, "POST", "/api/v1/payments/orders/{number}/refunds")
    assert return_refund["title"] == "ReturnRefundIn"
    assert payment_refund["title"] == "PaymentRefundIn"
    assert set(payment_refund["properties"]) >= {"amount", "reason"}


# --- Error answers -----------------------------------------------------------------------------------


def test_the_error_shape_is_published(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message", "details"}
    assert error["properties"]["details"]["type"] == "object"


def test_every_operation_documents_its_error_answers(document: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(document):
        expected = {"404", "422", "503"}
        if operation.get("security"):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"400", "413"}
        if method != "GET":
            expected.add("409")
        for status in sorted(expected):
            answer = operation["responses"].get(status, {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") != ERROR_REF or not answer.get("description"):
                missing.append(f"{method} {path} {status}")
    assert missing == []


def test_the_document_is_the_same_every_time_it_is_served() -> None:
    first = api.get_openapi_schema()
    assert api.get_openapi_schema() == first


def test_unauthenticated_webhooks_do_not_claim_401(document: dict[str, Any]) -> None:
    webhook = document["paths"]["/api/v1/payments/stripe/webhook"]["post"]
    assert "401" not in webhook["responses"]
    assert "400" in webhook["responses"]


# --- Unknown fields ----------------------------------------------------------------------------------


def test_every_request_body_refuses_unknown_fields_in_the_document(document: dict[str, Any]) -> None:
    open_shapes = set()

    def visit(schema: dict[str, Any], where: str, seen: set[str]) -> None:
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name in seen:
                return
            seen = seen | {name}
            schema = document["components"]["schemas"][name]
            where = name
        if "properties" in schema and schema.get("additionalProperties") is not False:
            open_shapes.add(where)
        children = list(schema.get("properties", {}).values())
        if isinstance(schema.get("items"), dict):
            children.append(schema["items"])
        for child in children:
            visit(child, where, seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for child in schema.get(key, []):
                visit(child, where, seen)

    for method, path, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            visit(content["application/json"]["schema"], f"{method} {path}", set())
    assert open_shapes == set()


@pytest.mark.django_db
def test_a_price_on_an_order_line_is_refused_not_ignored(api_client: Callable[[str], Client]) -> None:
    body = {
        "channel": "phone",
        "customer": {"name": "Olena Petrenko", "phone": "+380501234567"},
        "shipping_address": {"country": "UA", "city": "Kyiv", "line1": "Khreshchatyk 1"},
        "delivery_method": "door_delivery",
        "payment_method": "cod",
        "lines": [{"sku": "TEE-RED-M", "quantity": 1, "unit_price": "1.00"}],
    }
    response = api_client("Admin").post("/api/v1/orders", body, content_type="application/json")
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["code"] == "validation_error"
    assert set(answer["details"]) == {"lines.0.unit_price"}
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_unknown_top_level_field_is_refused(api_client: Callable[[str], Client]) -> None:
    body = {"code": "odesa", "name": "Odesa south", "country": "UA", "priority_level": 3}
    response = api_client("Admin").post("/api/v1/warehouses", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["details"] == {"priority_level": "Extra inputs are not permitted"}
    assert not Warehouse.objects.exists()
