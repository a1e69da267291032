"""`python manage.py load_demo_data`: a realistic, translated demo shop, loaded once.

The load itself takes a few seconds, so it runs once, in one test that checks everything; the plan
checks below need no database.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.test import override_settings
from stdnum import ean

from orderloop.catalog.models import Category, Product, Variant
from orderloop.core import roles
from orderloop.demo import tables
from orderloop.demo.loader import plan_catalog, plan_stock
from orderloop.inventory.models import BinLocation, MovementReason, StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import stock_levels
from orderloop.purchasing import selectors as purchasing_selectors
from orderloop.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderStatus,
    ReorderRule,
    Supplier,
    SupplierItem,
)

LANGUAGES = set(tables.TRANSLATED_LANGUAGES)


def _counts() -> dict[str, Any]:
    return {
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "warehouses": Warehouse.objects.count(),
        "bins": BinLocation.objects.count(),
        "stock": list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "reserved", "bin_id")),
        "movements": StockMovement.objects.count(),
    }


def test_plan_is_deterministic_unique_and_sized_like_a_real_shop() -> None:
    products = plan_catalog()
    variants = [variant for product in products for variant in product.variants]
    assert 180 <= len(products) <= 220
    assert 1000 <= len(variants) <= 1500
    assert len({product.handle for product in products}) == len(products)
    assert len({variant.sku for variant in variants}) == len(variants)
    assert len({variant.barcode for variant in variants}) == len(variants)
    assert plan_catalog() == products
    stock = plan_stock(products)
    assert {row.sku for row in stock} == {variant.sku for variant in variants}, "every variant is stocked"
    assert {row.warehouse for row in stock} == {row.code for row in tables.WAREHOUSES}


def test_every_category_and_product_type_is_translated() -> None:
    for row in tables.CATEGORIES:
        assert all(row.translations().values()), row
    for kind in tables.PRODUCT_TYPES:
        names = kind.translations("Aurora")
        assert set(names) == LANGUAGES
        assert len({kind.en, kind.uk, kind.sv, kind.ar}) == 4, f"{kind.en}: a language left in English"
        assert all(name.endswith(" Aurora") for name in names.values())
        assert kind.category in {row.slug for row in tables.CATEGORIES}
        assert set(kind.palette) <= set(tables.COLOURS)


@pytest.mark.django_db
def test_load_demo_data_builds_the_shop_once(media: Any) -> None:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "Loaded demo data" in out.getvalue()

    # Staff for every role, all with the demo password; admin is a superuser.
    for username, role in tables.DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert user.is_staff and user.check_password(tables.DEMO_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert User.objects.get(username="admin").is_superuser
    assert set(tables.DEMO_USERS.values()) == set(roles.role_names())

    # A translated catalogue.
    assert Category.objects.count() == len(tables.CATEGORIES)
    assert Product.objects.count() >= 180
    assert Variant.objects.count() >= 1000
    for name, translations in Product.objects.values_list("name", "name_translations"):
        assert set(translations) == LANGUAGES and all(translations.values()), name
    for name, translations in Category.objects.values_list("name", "name_translations"):
        assert set(translations) == LANGUAGES and all(translations.values()), name
    assert Product.objects.filter(category__isnull=True).count() == 0

    # Valid, unique EAN-13 barcodes; prices in UAH; real weights and sizes.
    barcodes = list(Variant.objects.values_list("barcode", flat=True))
    assert len(set(barcodes)) == len(barcodes)
    assert all(code and len(code) == 13 and ean.is_valid(code) for code in barcodes)
    assert set(Variant.objects.values_list("currency", flat=True)) == {"UAH"}
    assert Variant.objects.filter(price_amount__lte=0).count() == 0
    assert Variant.objects.filter(weight_g=0).count() == 0
    assert Variant.objects.filter(length_mm=0).count() == 0
    tee = Product.objects.get(handle="cotton-t-shirt-aurora")
    assert tee.name == "Cotton T-shirt Aurora"
    assert tee.name_translations["uk"] == "Бавовняна футболка Aurora"
    for variant in tee.variants.all():
        assert set(variant.attributes) == {"size", "colour"}
        assert variant.sku.startswith("TSH-AURORA-")

    # Pictures drawn for the catalogue's first page, stored in the default storage; the first product
    # has one per variant, in the variant's colour.
    from orderloop.catalog.models import ProductImage
    from orderloop.storefront.selectors import catalogue

    cards, _more = catalogue()
    assert all(card.image is not None for card in cards)
    assert all(
        default_storage.exists(name) for image in ProductImage.objects.all() for name in image.files.values()
    )
    first = Product.objects.get(handle="cotton-t-shirt-aurora")
    assert {image.variant_id for image in first.images.all()} == set(
        first.variants.values_list("pk", flat=True)
    )

    # Three warehouses with bins on a walk; every stock row sits in a bin of its own warehouse.
    assert list(Warehouse.objects.order_by("priority").values_list("code", flat=True)) == [
        "kyiv",
        "lviv",
        "stockholm",
    ]
    assert StockLevel.objects.filter(bin__isnull=True).count() == 0
    assert StockLevel.objects.exclude(bin__warehouse=F("warehouse")).count() == 0
    kyiv_routes = list(
        BinLocation.objects.filter(warehouse__code="kyiv")
        .order_by("route_order")
        .values_list("zone", flat=True)
    )
    assert kyiv_routes == sorted(kyiv_routes), "the walk goes through zone A, then B, then C"

    # Stock: some empty, some low, all of it received through the ledger.
    assert StockLevel.objects.filter(on_hand=0).exists()
    assert stock_levels(low_only=True).filter(on_hand__gt=0).exists()
    assert StockLevel.objects.filter(on_hand__gt=5).count() > StockLevel.objects.count() // 2
    assert set(
        StockMovement.objects.exclude(reason__in=[MovementReason.RESERVATION, MovementReason.SHIPMENT])
        .values_list("reason", "reference")
        .distinct()
    ) == {(MovementReason.RECEIPT.value, tables.OPENING_REFERENCE)}
    # One delivered order (its units shipped out) with a return waiting for its parcel, and policies.
    from orderloop.returns.models import ReturnPolicy, ReturnRequest

    assert set(ReturnPolicy.objects.values_list("country", flat=True)) == {"", "SE"}
    (demo_return,) = ReturnRequest.objects.all()
    assert (demo_return.status, demo_return.order.status) == ("approved", "return_requested")
    # A few orders are ready for the warehouse: the fulfilment queue has something to show.
    from orderloop.fulfillment.selectors import ready_orders

    assert ready_orders(warehouse=Warehouse.objects.get(code="kyiv")).count() == len(tables.DEMO_ORDERS) - 1
    # Shipping: parcels packed and waiting for their labels; pickup points for the checkout's chooser.
    from orderloop.shipping.models import PickupPoint
    from orderloop.shipping.services import parcels_to_ship

    assert len(parcels_to_ship()) == len(tables.DEMO_PACKED_ORDERS)
    assert PickupPoint.objects.count() == len(tables.DEMO_PICKUP_POINTS)
    call_command("check_stock_ledger", stdout=StringIO())

    # Purchasing: suppliers with price lists (one preferred supplier per variant), reorder rules on low
    # rows that the replenishment view turns into suggestions, one purchase order on its way.
    assert Supplier.objects.count() == len(tables.SUPPLIERS)
    # Every variant for sale has a preferred supplier (the free gift comes with promotions, not bought in).
    assert (
        SupplierItem.objects.filter(is_preferred=True).count()
        == Variant.objects.exclude(sku="GIFT-TOTE").count()
    )
    assert SupplierItem.objects.filter(is_preferred=False).exists(), "some variants have a second supplier"
    assert ReorderRule.objects.count() == tables.DEMO_RULES_MAX
    assert any(s.can_order for s in purchasing_selectors.replenishment())
    assert PurchaseOrder.objects.filter(status=PurchaseOrderStatus.SENT).count() == 1
    assert StockLevel.objects.filter(incoming__gt=0).exists()
    assert purchasing_selectors.incoming_mismatches() == []

    # A second run changes nothing.
    before = _counts()
    again = StringIO()
    call_command("load_demo_data", stdout=again)
    assert "already there" in again.getvalue()
    assert _counts() == before


@pytest.mark.django_db
@override_settings(PRODUCTION=True)
def test_refuses_to_create_demo_users_in_production() -> None:
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo_data", stdout=StringIO())
    assert not Product.objects.exists()
