"""Shared fixtures. Tests run against the real database named by DATABASE_URL (PostgreSQL) or a
file-based SQLite database (so threaded tests share it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.catalog.models import Product, Variant
from orderloop.core.services import api_token_create, roles_sync, staff_user_get_or_create
from orderloop.inventory.models import Warehouse

REQUIRE_SYSTEM_DEPS = os.environ.get("REQUIRE_SYSTEM_DEPS") == "1"


def require_system_tool(path_or_name: str, purpose: str) -> None:
    """Skip locally when a system tool is missing; fail in CI, where test-setup must have installed it."""
    if shutil.which(path_or_name) or os.path.exists(path_or_name):
        return
    message = f"{path_or_name} is not installed ({purpose}); scripts/test-setup.sh installs it"
    if REQUIRE_SYSTEM_DEPS:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def roles(db: Any) -> None:
    roles_sync()


@pytest.fixture
def make_staff(roles: None) -> Callable[..., User]:
    def make(role: str, username: str | None = None, password: str = "s3cret-pass!") -> User:
        user, _ = staff_user_get_or_create(username=username or role.lower(), role=role, password=password)
        return user

    return make


@pytest.fixture
def api_client(make_staff: Callable[..., User]) -> Callable[[str], Client]:
    """A test client that sends a freshly issued token of a user with the given role."""

    def make(role: str) -> Client:
        user = make_staff(role, username=f"api-{role.lower()}")
        token = api_token_create(user=user, name="tests").plaintext
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make


@pytest.fixture
def warehouse(db: Any) -> Warehouse:
    return Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)


@pytest.fixture
def make_variant(db: Any) -> Callable[..., Variant]:
    counter = {"n": 0}

    def make(sku: str | None = None, price: str = "100.00", currency: str = "UAH", **fields: Any) -> Variant:
        counter["n"] += 1
        n = counter["n"]
        product = Product.objects.create(handle=f"product-{n}-{sku or n}".lower(), name=f"Product {n}")
        return Variant.objects.create(
            product=product,
            sku=sku or f"SKU-{n:04d}",
            price_amount=Decimal(price),
            currency=currency,
            attributes={"size": "M", "colour": "Red"},
            **fields,
        )

    return make
