"""Fixtures of the fulfilment tests: a warehouse with bins in three zones (and a second warehouse),
products with barcodes, measures and a bin, and orders ready to be picked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from orderloop.catalog.models import Variant
from orderloop.inventory.models import BinLocation, Warehouse
from orderloop.inventory.services import bin_create, stock_adjust, stock_assign_bin
from orderloop.orders import services as order_services
from orderloop.orders.models import Order
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import customer, place

BOXES = import_module("orderloop.fulfillment.migrations.0002_seed_standard_box_sizes")

# (zone, aisle, shelf, bin, route order) of the Kyiv bins; aisle 2 is walked backwards.
KYIV_BINS = [
    ("A", "1", "1", "1", 10),
    ("A", "1", "1", "2", 20),
    ("A", "2", "1", "2", 30),
    ("A", "2", "1", "1", 40),
    ("B", "1", "1", "1", 110),
    ("B", "1", "2", "1", 120),
    ("C", "1", "1", "1", 210),
]


@dataclass
class Shop:
    kyiv: Warehouse
    lviv: Warehouse
    bins: dict[str, BinLocation] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)


@pytest.fixture
def boxes(db: Any) -> None:
    BOXES.seed(apps, None)  # transactional tests flush the seeded rows


@pytest.fixture
def shop(methods: None, boxes: None, warehouse: Warehouse, make_variant: Callable[..., Variant]) -> Shop:  # noqa: F811
    """Kyiv (bins A-01-01-01 … C-01-01-01) and Lviv (one bin) with six products:

    | SKU | bin | units Kyiv | units Lviv | measures (mm) | weight |
    | TEE | A-01-01-01 | 20 | 5 | 240×170×30 | 200 g |
    | HOODIE | A-02-01-02 | 20 | 0 | 300×240×80 | 700 g |
    | JEANS | B-01-01-01 | 20 | 0 | 330×240×50 | 650 g |
    | BOOTS | B-01-02-01 | 20 | 0 | 440×340×140 | 1800 g |
    | SOCKS | C-01-01-01 | 20 | 0 | 100×80×30 | 100 g |
    | CAP | A-01-01-02 | 1 | 3 | 200×180×100 | 150 g |
    """
    lviv = Warehouse.objects.create(code="lviv", name="Lviv west", country="UA", city="Lviv", priority=2)
    shop = Shop(kyiv=warehouse, lviv=lviv)
    for zone, aisle, shelf, position, route in KYIV_BINS:
        found = bin_create(
            warehouse=warehouse,
            zone=zone,
            aisle=aisle,
            shelf=shelf,
            bin=position,
            route_order=route,
            actor=None,
        )
        shop.bins[found.code] = found
    lviv_bin = bin_create(warehouse=lviv, zone="A", aisle="1", shelf="1", bin="1", route_order=10, actor=None)
    products = [
        ("TEE", "A-01-01-01", 20, 5, (240, 170, 30), 200),
        ("HOODIE", "A-02-01-02", 20, 0, (300, 240, 80), 700),
        ("JEANS", "B-01-01-01", 20, 0, (330, 240, 50), 650),
        ("BOOTS", "B-01-02-01", 20, 0, (440, 340, 140), 1800),
        ("SOCKS", "C-01-01-01", 20, 0, (100, 80, 30), 100),
        ("CAP", "A-01-01-02", 1, 3, (200, 180, 100), 150),
    ]
    for index, (sku, bin_code, kyiv_units, lviv_units, (length, width, height), weight) in enumerate(
        products
    ):
        variant = make_variant(
            sku,
            barcode=f"48200000000{index:02d}",
            length_mm=length,
            width_mm=width,
            height_mm=height,
            weight_g=weight,
        )
        stock_assign_bin(variant=variant, warehouse=warehouse, bin=shop.bins[bin_code], actor=None)
        stock_adjust(variant=variant, warehouse=warehouse, delta=kyiv_units, actor=None)
        stock_assign_bin(variant=variant, warehouse=lviv, bin=lviv_bin, actor=None)
        if lviv_units:
            stock_adjust(variant=variant, warehouse=lviv, delta=lviv_units, actor=None)
        shop.variants[sku] = variant
    return shop


@pytest.fixture
def ready_order(shop: Shop) -> Callable[..., Order]:
    """A cash-on-delivery order, confirmed: ready to be picked. Each order has its own phone (no
    duplicate-order risk flag)."""
    counter = {"n": 0}

    def make(*lines: tuple[str, int], confirm: bool = True, **overrides: Any) -> Order:
        counter["n"] += 1
        phone = f"+3805012{counter['n']:05d}"
        overrides.setdefault("customer", customer(name=f"Customer {counter['n']}", phone=phone))
        order = place(*lines, **overrides)
        if confirm:
            order_services.order_confirm(order_id=order.pk, actor=None)
        return Order.objects.get(pk=order.pk)

    return make
