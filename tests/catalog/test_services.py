"""Catalog services: what a shop owner notices — products saved whole or not at all, clear errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orderloop.catalog import services
from orderloop.catalog.domain import clean_price, ean13_with_check_digit
from orderloop.catalog.errors import DuplicateBarcode, DuplicateHandle, DuplicateSku, VariantNotFound
from orderloop.catalog.models import Category, Product, Variant
from orderloop.core.errors import InvalidInput

EAN_A = ean13_with_check_digit("482000000001")
EAN_B = ean13_with_check_digit("482000000002")


def tee(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Linen tee",
        "description": "Soft.",
        "name_translations": {"uk": "Лляна футболка", "ar": "قميص كتان"},
        "variants": [
            {
                "sku": "TEE-RED-M",
                "price": "129.90",
                "currency": "uah",
                "barcode": EAN_A,
                "weight_g": 180,
                "length_mm": 300,
                "width_mm": 200,
                "height_mm": 20,
                "attributes": {"Size": "M", "colour": "Red"},
            },
            {"sku": "TEE-RED-L", "price": "139.90", "barcode": "TEE-L-128", "attributes": {"size": "L"}},
        ],
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_product_with_variants_stores_every_field() -> None:
    Category.objects.create(name="Tees", slug="tees")
    product = services.product_create(data=tee(category="tees"), actor=None)

    assert product.handle == "linen-tee"
    assert product.category is not None and product.category.slug == "tees"
    assert product.name_translations == {"uk": "Лляна футболка", "ar": "قميص كتان"}
    m, l_ = Variant.objects.filter(product=product).order_by("sku").reverse()
    assert (m.sku, m.price_amount, m.currency, m.barcode_type) == (
        "TEE-RED-M",
        Decimal("129.90"),
        "UAH",
        "ean13",
    )
    assert m.attributes == {"size": "M", "colour": "Red"}
    assert (m.weight_g, m.length_mm, m.width_mm, m.height_mm) == (180, 300, 200, 20)
    assert (l_.barcode_type, l_.currency) == ("code128", "UAH")  # shop currency when none is given


@pytest.mark.django_db
def test_handle_made_from_name_is_unique() -> None:
    first = services.product_create(data=tee(variants=[]), actor=None)
    second = services.product_create(data=tee(variants=[]), actor=None)
    assert (first.handle, second.handle) == ("linen-tee", "linen-tee-2")


@pytest.mark.django_db
def test_explicit_handle_taken_is_a_conflict() -> None:
    services.product_create(data=tee(handle="tee", variants=[]), actor=None)
    with pytest.raises(DuplicateHandle):
        services.product_create(data=tee(handle="tee", variants=[]), actor=None)


@pytest.mark.django_db
def test_duplicate_sku_names_the_sku_and_writes_nothing(make_variant: Any) -> None:
    make_variant(sku="TEE-RED-L")
    with pytest.raises(DuplicateSku) as caught:
        services.product_create(data=tee(), actor=None)
    assert caught.value.details == {"sku": "TEE-RED-L", "field": "variants.1.sku"}
    assert not Product.objects.filter(name="Linen tee").exists()
    assert not Variant.objects.filter(sku="TEE-RED-M").exists()


@pytest.mark.django_db
def test_duplicate_barcode_is_a_conflict(make_variant: Any) -> None:
    make_variant(sku="OTHER", barcode=EAN_A, barcode_type="ean13")
    with pytest.raises(DuplicateBarcode) as caught:
        services.product_create(data=tee(), actor=None)
    assert caught.value.details["field"] == "variants.0.barcode"


@pytest.mark.django_db
def test_same_sku_twice_in_one_request_is_refused() -> None:
    data = tee()
    data["variants"][1]["sku"] = "TEE-RED-M"
    with pytest.raises(DuplicateSku) as caught:
        services.product_create(data=data, actor=None)
    assert caught.value.details["field"] == "variants.1.sku"
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_every_bad_field_is_reported_by_its_path() -> None:
    data = tee(category="nope", image_url="not a url")
    data["variants"][0].update(barcode="4820000000019"[:12] + "0", currency="XXY", price="12.345")
    data["variants"][1].update(price=12.5, sku="bad sku!", weight_g=-1)
    with pytest.raises(InvalidInput) as caught:
        services.product_create(data=data, actor=None)
    details = caught.value.details
    assert caught.value.code == "validation_error"
    assert set(details) >= {
        "category",
        "image_url",
        "variants.0.barcode",
        "variants.0.currency",
        "variants.0.price",
        "variants.1.price",
        "variants.1.sku",
        "variants.1.weight_g",
    }
    assert "check digit" in details["variants.0.barcode"]
    assert Product.objects.count() == 0


@pytest.mark.parametrize("value", [12.5, 10, "abc", "-1", "1.001", "NaN", "99999999999"])
def test_price_rules(value: object) -> None:
    with pytest.raises(ValueError):
        clean_price(value)


def test_price_accepts_decimal_text() -> None:
    assert clean_price(" 129.9 ") == Decimal("129.90")


@pytest.mark.django_db
def test_update_changes_fields_updates_and_adds_variants_and_archives() -> None:
    product = services.product_create(data=tee(), actor=None)
    m = product.variants.get(sku="TEE-RED-M")
    large = product.variants.get(sku="TEE-RED-L")
    services.product_update(
        product_id=product.pk,
        data={"name": "Linen tee 2", "name_translations": {"uk": "Футболка"}},
        variants=[
            {"id": m.pk, "sku": "TEE-RED-M", "price": "99.00", "currency": "EUR"},
            {"sku": "TEE-RED-S", "price": "89.00"},
        ],
        archive_variant_ids=[large.pk],
        actor=None,
    )
    product.refresh_from_db()
    m.refresh_from_db()
    large.refresh_from_db()
    assert product.name == "Linen tee 2"
    assert product.name_translations == {"uk": "Футболка"}
    assert (m.price_amount, m.currency, m.barcode) == (Decimal("99.00"), "EUR", EAN_A)
    assert not large.is_active
    assert product.variants.filter(sku="TEE-RED-S", is_active=True).exists()


@pytest.mark.django_db
def test_update_refuses_a_variant_of_another_product(make_variant: Any) -> None:
    other = make_variant(sku="ELSEWHERE")
    product = services.product_create(data=tee(), actor=None)
    with pytest.raises(InvalidInput):
        services.product_update(
            product_id=product.pk, data={}, variants=[{"id": other.pk, "price": "1.00"}], actor=None
        )
    other.refresh_from_db()
    assert other.price_amount == Decimal("100.00")


@pytest.mark.django_db
def test_variant_update_keeps_own_barcode_and_refuses_anothers() -> None:
    services.product_create(data=tee(), actor=None)
    variant = services.variant_update(sku="TEE-RED-M", data={"barcode": EAN_A, "price": "1.50"}, actor=None)
    assert variant.price_amount == Decimal("1.50")
    with pytest.raises(DuplicateBarcode):
        services.variant_update(sku="TEE-RED-L", data={"barcode": EAN_A}, actor=None)
    assert Variant.objects.get(sku="TEE-RED-L").barcode == "TEE-L-128"


@pytest.mark.django_db
def test_archive_keeps_the_rows() -> None:
    product = services.product_create(data=tee(), actor=None)
    services.variant_archive(sku="TEE-RED-M", actor=None)
    services.product_archive(product_id=product.pk, actor=None)
    product.refresh_from_db()
    assert not product.is_active
    assert Variant.objects.filter(product=product).count() == 2
    assert not Variant.objects.get(sku="TEE-RED-M").is_active
    with pytest.raises(VariantNotFound):
        services.variant_archive(sku="NOPE", actor=None)


@pytest.mark.django_db
def test_variant_create_validates_and_adds(make_variant: Any) -> None:
    product = services.product_create(data=tee(variants=[]), actor=None)
    with pytest.raises(InvalidInput) as caught:
        services.variant_create(
            product_id=product.pk, data={"sku": "X1", "price": "", "barcode": "12"}, actor=None
        )
    assert set(caught.value.details) == {"price"}  # "12" is valid Code 128
    variant = services.variant_create(product_id=product.pk, data={"sku": "X1", "price": "5"}, actor=None)
    assert variant.price_amount == Decimal("5.00")
