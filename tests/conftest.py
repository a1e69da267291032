"""Shared fixtures. Tests run against the real database named by DATABASE_URL (PostgreSQL) or a
file-based SQLite database (so threaded tests share it)."""

from __future__ import annotations

import os
import shutil
import socket
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
def media(settings: Any, tmp_path: Any) -> Any:
    """Django's default storage (product pictures) and the private documents storage (return photos and
    labels) in directories of this test; returns the default storage's directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {**settings.STORAGES["documents"], "OPTIONS": {"location": str(tmp_path / "private")}},
    }
    return tmp_path / "media"


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


class _Inbox:
    """What a real SMTP server (aiosmtpd) received, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """A real SMTP server on a free loopback port; Django's mail goes there (not to locmem)."""
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


def run_tasks() -> None:
    """Run every task waiting in the database queue, as `db_worker --batch` does."""
    from django.core.management import call_command

    call_command("db_worker", batch=True, queue_name="*", no_startup_delay=True, verbosity=0)


@pytest.fixture(autouse=True)
def _order_numbers_from_1001(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL order numbers come from a sequence (orders/services.py), which a test's rollback or
    flush does not rewind: each database test starts it again at 1001, as SQLite's counter row starts."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db or os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"}:
        return
    request.getfixturevalue("db")
    from django.db import connection

    from orderloop.orders.services import ORDER_NUMBER_SEQUENCE

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, 1001, false)", [ORDER_NUMBER_SEQUENCE])
