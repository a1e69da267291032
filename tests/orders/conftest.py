"""Fixtures of the orders tests: seeded methods, stocked variants and order input builders."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from orderloop.catalog.models import Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SEED_DELIVERY_KINDS = import_module("orderloop.orders.migrations.0004_checkout_pricing_and_promised_date")
SEED_NAMES = import_module("orderloop.orders.migrations.0007_translated_delivery_and_payment_method_names")


@pytest.fixture
def methods(db: Any) -> None:
    """The seeded delivery and payment methods (transactional tests flush the migration's rows)."""
    SEED.seed(apps, None)
    SEED_DELIVERY_KINDS.set_seeded_delivery(apps, None)
    SEED_NAMES.translate_seeded(apps, None)


@pytest.fixture
def stocked(make_variant: Callable[..., Variant], warehouse: Warehouse) -> Callable[..., Variant]:
    """A variant with `quantity` units on hand in `in_warehouse` (default: the Kyiv warehouse)."""

    def make(
        sku: str,
        quantity: int,
        *,
        in_warehouse: Warehouse | None = None,
        backorder: bool = False,
        **fields: Any,
    ) -> Variant:
        variant = make_variant(sku, **fields)
        if backorder:
            variant.product.allow_backorder = True
            variant.product.save(update_fields=["allow_backorder"])
        if quantity:
            stock_adjust(variant=variant, warehouse=in_warehouse or warehouse, delta=quantity, actor=None)
        return variant

    return make
