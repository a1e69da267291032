"""Fixtures of the intake tests: the orders tests' seeded methods and stocked variants, and sample files."""

from __future__ import annotations

import pytest

from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures shared with the orders tests)

HEADER = (
    "external_ref,customer_name,customer_phone,customer_email,country,city,postal_code,address_line1,"
    "delivery_method,payment_method,priority,sku,quantity,line_note"
)


def csv_file(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


GOOD = "MP-1,Olena,050 123 45 67,olena@example.com,UA,Kyiv,01001,Khreshchatyk 1,door_delivery,cod,,TEE,2,gift"


@pytest.fixture
def shop(methods, stocked):  # noqa: F811
    """Two products in stock: TEE (5 units at 100.00) and CAP (3 units at 50.00)."""
    stocked("TEE", 5, price="100.00")
    stocked("CAP", 3, price="50.00")
