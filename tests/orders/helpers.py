"""Builders of order input for the orders tests."""

from __future__ import annotations

from typing import Any

from django_tasks_db.models import DBTaskResult

from orderloop.core import consumers
from orderloop.orders import services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Order


def customer(**overrides: Any) -> CustomerData:
    values = {
        "name": "Olena Shevchenko",
        "phone": "050 123 45 67",
        "email": "olena@example.com",
        "language": "uk",
    }
    return CustomerData(**{**values, **overrides})


def address(**overrides: Any) -> AddressData:
    values = {"country": "UA", "city": "Kyiv", "postal_code": "01001", "line1": "Khreshchatyk 1"}
    return AddressData(**{**values, **overrides})


def place(*lines: tuple[str, int], actor: Any = None, **overrides: Any) -> Order:
    """Place an order for (sku, quantity) lines through the service, with sensible defaults."""
    arguments: dict[str, Any] = {
        "channel": "web",
        "customer": customer(),
        "shipping_address": address(),
        "delivery_method_code": "door_delivery",
        "payment_method_code": "cod",
        "lines": [LineData(sku=sku, quantity=quantity) for sku, quantity in lines],
        "actor": actor,
    }
    arguments.update(overrides)
    return services.order_place(**arguments)


def payload(*lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    """A POST /api/v1/orders body."""
    body: dict[str, Any] = {
        "channel": "web",
        "customer": {"name": "Olena Shevchenko", "phone": "+380501234567", "email": "olena@example.com"},
        "shipping_address": {
            "country": "UA",
            "city": "Kyiv",
            "postal_code": "01001",
            "line1": "Khreshchatyk 1",
        },
        "delivery_method": "door_delivery",
        "payment_method": "cod",
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
    }
    body.update(overrides)
    return body


def consume_events() -> list[str]:
    """Run the queued event consumers (core/consumers.py) as a worker would, but not the tasks they
    enqueue in turn (a message's sending), so a test can look at what they wrote first."""
    outcomes: list[str] = []
    while True:
        queued = list(
            DBTaskResult.objects.filter(task_path__endswith=".consume_event").ready().order_by("id")
        )
        if not queued:
            return outcomes
        for row in queued:
            outcomes.append(consumers.run(**row.args_kwargs["kwargs"]))
            row.delete()
