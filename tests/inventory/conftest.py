from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from orderloop.inventory.models import Warehouse


def post_json(client: Client, url: str, body: Any, method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


@pytest.fixture
def second_warehouse(db: Any) -> Warehouse:
    return Warehouse.objects.create(code="lviv", name="Lviv", country="UA", city="Lviv", priority=2)
