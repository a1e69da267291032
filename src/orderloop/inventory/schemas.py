"""Request (In) and response (Out) shapes of the inventory API. Shapes only: the rules live in services."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from ninja import Field, Schema

from orderloop.core.shapes import InSchema

# JSON integers only: "5", 5.5 and true are refused (422) instead of being coerced.
StrictInt = Annotated[int, Field(strict=True)]


class ManualReason(StrEnum):
    receipt = "receipt"
    adjustment = "adjustment"
    return_ = "return"


class WarehouseIn(InSchema):
    code: str = Field(..., max_length=20, description="Unique code, e.g. `kyiv`.")
    name: str = Field(..., max_length=120)
    address_line: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field(..., description="ISO 3166 two-letter code, e.g. `UA`.")
    priority: StrictInt = Field(100, description="Lower is allocated first.")
    is_active: bool = True


class WarehousePatch(InSchema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=120)
    address_line: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = None
    priority: StrictInt | None = None
    is_active: bool | None = None


class WarehouseOut(Schema):
    code: str
    name: str
    address_line: str
    city: str
    postal_code: str
    country: str
    priority: int
    is_active: bool


class BinIn(InSchema):
    zone: str = Field(..., max_length=10)
    aisle: str = Field(..., max_length=10)
    shelf: str = Field(..., max_length=10)
    bin: str = Field(..., max_length=10)
    code: str | None = Field(None, max_length=50, description="Default: derived, e.g. `A-01-02-03`.")
    route_order: StrictInt | None = Field(None, description="Default: after the last bin.")


class BinOut(Schema):
    code: str
    zone: str
    aisle: str
    shelf: str
    bin: str
    route_order: int


class StockRowOut(Schema):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    incoming: int
    bin: str | None
    low: bool


class StockPageOut(Schema):
    items: list[StockRowOut]
    next_cursor: str | None


class AdjustmentIn(InSchema):
    sku: str = Field(..., max_length=64, description="SKU or barcode.")
    warehouse: str = Field(..., max_length=20)
    quantity: StrictInt = Field(..., description="Signed change of on-hand units, not zero.")
    reason: ManualReason
    note: str = Field("", max_length=255)
    reference: str = Field("", max_length=100)


class CountIn(InSchema):
    sku: str = Field(..., max_length=64, description="SKU or barcode.")
    warehouse: str = Field(..., max_length=20)
    counted: StrictInt = Field(..., description="Units found on the shelf (0 or more).")
    note: str = Field("", max_length=255)


class BinAssignIn(InSchema):
    sku: str = Field(..., max_length=64)
    warehouse: str = Field(..., max_length=20)
    bin: str | None = Field(None, max_length=50, description="Bin code; null clears it.")


class MovementOut(Schema):
    id: int
    created_at: datetime
    sku: str
    warehouse: str
    reason: str
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    reference: str
    note: str
    actor: str | None


class MovementPageOut(Schema):
    items: list[MovementOut]
    next_cursor: str | None
