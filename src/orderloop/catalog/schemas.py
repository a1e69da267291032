"""API shapes of the catalog. Money travels as a decimal string with a currency code, never a float."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from orderloop.core.shapes import InSchema

from .models import Product, Variant

PRICE_HELP = 'Decimal string, e.g. "129.90". A JSON number is refused: money is never a float.'


def _price_must_be_text(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError('send the price as a decimal string such as "129.90", not a number')
    return value


class VariantIn(InSchema):
    sku: str = Field(..., max_length=64, examples=["TEE-RED-M"])
    price: str = Field(..., description=PRICE_HELP, examples=["129.90"])
    currency: str | None = Field(None, description="ISO 4217 code; the shop currency if missing.")
    barcode: str | None = Field(None, description="EAN-13 (check digit verified) or Code 128 text.")
    weight_g: int = 0
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    attributes: dict[str, str] = Field(default_factory=dict, examples=[{"size": "M", "colour": "Red"}])

    _price_text = field_validator("price", mode="before")(_price_must_be_text)


class VariantPatchIn(InSchema):
    sku: str | None = Field(None, max_length=64)
    price: str | None = Field(None, description=PRICE_HELP)
    currency: str | None = None
    barcode: str | None = Field(None, description="Send an empty string to remove the barcode.")
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    attributes: dict[str, str] | None = None
    is_active: bool | None = None

    _price_text = field_validator("price", mode="before")(_price_must_be_text)


class ProductUpdateIn(InSchema):
    """PUT: the whole product (its variants have their own endpoints)."""

    name: str = Field(..., max_length=200)
    handle: str | None = Field(None, description="URL-safe identifier; kept as it is if missing.")
    description: str = ""
    category: str | None = Field(None, description="Slug of an existing category.")
    name_translations: dict[str, str] = Field(default_factory=dict, examples=[{"uk": "Футболка"}])
    image_url: str = ""
    allow_backorder: bool = False


class ProductIn(ProductUpdateIn):
    handle: str | None = Field(None, description="Made from the name (and made unique) if missing.")
    variants: list[VariantIn] = Field(default_factory=list)


class ProductPatchIn(InSchema):
    name: str | None = Field(None, max_length=200)
    handle: str | None = None
    description: str | None = None
    category: str | None = None
    name_translations: dict[str, str] | None = None
    image_url: str | None = None
    allow_backorder: bool | None = None
    is_active: bool | None = None


class VariantOut(Schema):
    id: int
    product_id: int
    sku: str
    barcode: str | None
    barcode_type: str
    price: str = Field(..., description="Decimal string.")
    currency: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    attributes: dict[str, str]
    is_active: bool

    @staticmethod
    def resolve_price(obj: Variant) -> str:
        return str(obj.price_amount)


class ProductOut(Schema):
    id: int
    handle: str
    name: str
    display_name: str
    name_translations: dict[str, str]
    description: str
    category: str | None = Field(None, description="Category slug.")
    image_url: str
    is_active: bool
    allow_backorder: bool
    created_at: datetime
    updated_at: datetime
    variants: list[VariantOut]

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.slug if obj.category else None

    @staticmethod
    def resolve_variants(obj: Product) -> list[Variant]:
        return list(obj.variants.all())


class ProductListOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class CategoryIn(InSchema):
    name: str = Field(..., max_length=120)
    slug: str | None = Field(None, description="Made from the name if missing.")
    name_translations: dict[str, str] = Field(default_factory=dict)


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    name_translations: dict[str, str]
