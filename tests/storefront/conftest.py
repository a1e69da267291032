"""Fixtures of the storefront tests: a small shop (a T-shirt in two sizes, a gift) in stock in Kyiv."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from orderloop.catalog.models import Category, Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from tests.orders.conftest import methods  # noqa: F401  (fixture)


@pytest.fixture
def shop(methods: None, warehouse: Warehouse, settings: Any) -> dict[str, Variant]:  # noqa: F811
    """T-shirt S (10 in stock) and M (1 in stock) at 500.00 UAH, a gift tote (5), the Kyiv warehouse."""
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "FREE_GIFT": {"sku": "GIFT-TOTE", "min_total": {"UAH": "1000"}, "channels": ["web"]},
        "STRIPE_SECRET_KEY": "",
    }
    tops = Category.objects.create(name="T-shirts", slug="t-shirts", name_translations={"uk": "Футболки"})
    tee = Product.objects.create(
        handle="linen-tee", name="Linen tee", name_translations={"uk": "Лляна футболка"}, category=tops
    )
    small = Variant.objects.create(
        product=tee, sku="TEE-S", price_amount=Decimal("500.00"), currency="UAH",
        attributes={"size": "S", "colour": "White"}, barcode="4820000000017", barcode_type="ean13",
    )  # fmt: skip
    medium = Variant.objects.create(
        product=tee, sku="TEE-M", price_amount=Decimal("500.00"), currency="UAH",
        attributes={"size": "M", "colour": "White"},
    )  # fmt: skip
    tote = Product.objects.create(handle="gift-tote", name="Tote bag")
    gift = Variant.objects.create(
        product=tote, sku="GIFT-TOTE", price_amount=Decimal("150.00"), currency="UAH", attributes={}
    )
    for variant, quantity in ((small, 10), (medium, 1), (gift, 5)):
        stock_adjust(variant=variant, warehouse=warehouse, delta=quantity, actor=None)
    return {"S": small, "M": medium, "gift": gift}


@pytest.fixture
def checkout_data() -> Callable[..., dict[str, str]]:
    def make(**overrides: str) -> dict[str, str]:
        data = {
            "email": "olena@example.com",
            "phone": "050 123 45 67",
            "name": "Olena Shevchenko",
            "country": "UA",
            "city": "Kyiv",
            "postal_code": "01001",
            "line1": "Khreshchatyk 1",
            "line2": "",
            "region": "",
            "delivery_method": "door_delivery",
            "payment_method": "cod",
            "coupon_code": "",
            "comment": "",
            "checkout_token": "tok-1",
        }
        data.update(overrides)
        return data

    return make
