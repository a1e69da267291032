"""Fixtures of the purchasing tests: a supplier with a price list, stocked variants, order builders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from orderloop.catalog.models import Variant
from orderloop.inventory.models import Warehouse
from orderloop.purchasing import services
from orderloop.purchasing.models import Supplier
from tests.orders.conftest import methods, stocked  # noqa: F401  (fixtures shared with the orders tests)


@pytest.fixture
def supplier(db: Any) -> Supplier:
    return services.supplier_create(
        code="linenco",
        name="Linen & Co",
        currency="EUR",
        email="orders@linen.example",
        contact_name="Anna Berg",
        lead_time_days=10,
        min_order_quantity=1,
        pack_size=1,
        actor=None,
    )


@pytest.fixture
def priced(supplier: Supplier) -> Callable[..., None]:
    """Put a variant on the supplier's price list."""

    def make(variant: Variant, price: str = "4.50", **fields: Any) -> None:
        services.supplier_item_set(supplier=supplier, sku=variant.sku, price=price, actor=None, **fields)

    return make


@pytest.fixture
def po_for(supplier: Supplier, warehouse: Warehouse, priced: Callable[..., None]) -> Callable[..., Any]:
    """A purchase order for (variant, quantity) pairs, sent unless `send=False`."""

    def make(*lines: tuple[Variant, int], send: bool = True, actor: Any = None, **fields: Any) -> Any:
        for variant, _quantity in lines:
            if not variant.supplier_items.filter(supplier=supplier).exists():
                priced(variant)
        po = services.purchase_order_create(
            supplier=supplier,
            warehouse=fields.pop("to", warehouse),
            lines=[services.LineInput(sku=v.sku, quantity=q) for v, q in lines],
            actor=actor,
            **fields,
        )
        if send:
            po = services.purchase_order_send(po_id=po.pk, actor=actor)
        return po

    return make


def money(value: str) -> Decimal:
    return Decimal(value)
