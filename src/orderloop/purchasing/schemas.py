"""Request (In) and response (Out) shapes of the purchasing API. Money travels as decimal strings with a
currency; shapes only, the rules live in services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

from orderloop.core.shapes import InSchema, MoneyOut

# JSON integers only: "5", 5.5 and true are refused (422) instead of being coerced.
StrictInt = Annotated[int, Field(strict=True)]
Price = Annotated[str, Field(max_length=20, description="A decimal string, e.g. `4.50`.", examples=["4.50"])]


# --- Suppliers ----------------------------------------------------------------------------------------


class SupplierIn(InSchema):
    code: str = Field(..., max_length=40, description="Unique code, e.g. `linenco`.")
    name: str = Field(..., max_length=200)
    currency: str = Field(..., description="ISO 4217: the price list's and purchase orders' default.")
    email: str = Field("", max_length=254, description="Purchase orders are e-mailed here.")
    contact_name: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=1000)
    language: str = Field("en", description="Language of the purchase order PDF and email.")
    lead_time_days: StrictInt = Field(7, description="Days from sending an order until it arrives.")
    min_order_quantity: StrictInt = Field(1, description="Per item, unless the price list says otherwise.")
    pack_size: StrictInt = Field(1, description="Items are ordered in multiples of this.")
    buyer: str | None = Field(None, description="Username of the staff member who buys here.")
    notes: str = Field("", max_length=2000)
    is_active: bool = True


class SupplierPatch(InSchema):
    name: str | None = Field(None, max_length=200)
    currency: str | None = None
    email: str | None = Field(None, max_length=254)
    contact_name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=1000)
    language: str | None = None
    lead_time_days: StrictInt | None = None
    min_order_quantity: StrictInt | None = None
    pack_size: StrictInt | None = None
    buyer: str | None = Field(None, description="A username; an empty string clears it.")
    notes: str | None = Field(None, max_length=2000)
    is_active: bool | None = None


class SupplierOut(Schema):
    code: str
    name: str
    currency: str
    email: str
    contact_name: str
    phone: str
    address: str
    language: str
    lead_time_days: int
    min_order_quantity: int
    pack_size: int
    buyer: str | None
    notes: str
    is_active: bool


class SupplierPageOut(Schema):
    items: list[SupplierOut]
    next_cursor: str | None


class PriceIn(InSchema):
    sku: str = Field(..., max_length=64)
    price: Price
    currency: str | None = Field(None, description="Default: the supplier's currency.")
    supplier_sku: str = Field("", max_length=64)
    min_order_quantity: StrictInt | None = Field(None, description="Empty: the supplier's default.")
    pack_size: StrictInt | None = Field(None, description="Empty: the supplier's default.")
    lead_time_days: StrictInt | None = Field(None, description="Empty: the supplier's default.")
    preferred: bool | None = Field(None, description="true: buy this variant from this supplier first.")


class PriceOut(Schema):
    id: int
    supplier: str
    sku: str
    supplier_sku: str
    price: MoneyOut
    min_order_quantity: int
    pack_size: int
    lead_time_days: int
    preferred: bool


class PriceImportOut(Schema):
    rows: int
    created: int
    updated: int


# --- Reorder rules -------------------------------------------------------------------------------------


class ReorderRuleIn(InSchema):
    sku: str = Field(..., max_length=64)
    warehouse: str = Field(..., max_length=20)
    method: str = Field(..., description="`min_max` or `reorder_point`.")
    min_quantity: StrictInt | None = None
    max_quantity: StrictInt | None = None
    safety_stock: StrictInt = 0
    velocity_days: StrictInt = Field(28, description="Sales velocity window in days.")
    review_days: StrictInt = Field(14, description="Days of sales one order should cover.")
    responsible: str | None = Field(None, description="Username who hears about low stock.")
    is_active: bool = True


class ReorderRuleOut(Schema):
    id: int
    sku: str
    warehouse: str
    method: str
    min_quantity: int | None
    max_quantity: int | None
    safety_stock: int
    velocity_days: int
    review_days: int
    responsible: str | None
    is_active: bool


# --- Replenishment -------------------------------------------------------------------------------------


class SuggestionOut(Schema):
    key: str
    sku: str
    warehouse: str
    method: str
    supplier: str | None
    unit_price: MoneyOut | None
    available: int
    incoming: int
    on_draft: int
    backordered: int
    sold_units: int
    velocity_days: int
    velocity_per_day: str
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    target: int
    position: int
    needed: bool
    raw_quantity: int
    moq: int
    pack_size: int
    quantity: int
    reasons: list[str]


class NeedOut(Schema):
    order: str
    priority: str
    placed_at: datetime
    sku: str
    quantity: int
    purchase_order: str | None
    expected_date: date | None
    covered: bool


class DraftsIn(InSchema):
    keys: list[str] | None = Field(None, description="Suggestion keys to order; default: every one.")
    quantities: dict[str, StrictInt] = Field(default_factory=dict, description="key → quantity override.")
    warehouse: str | None = None
    supplier: str | None = None


# --- Purchase orders -----------------------------------------------------------------------------------


class PurchaseOrderLineIn(InSchema):
    sku: str = Field(..., max_length=64)
    quantity: StrictInt
    unit_price: Price | None = Field(None, description="Default: the supplier's price list.")


class PurchaseOrderIn(InSchema):
    supplier: str
    warehouse: str
    currency: str | None = Field(None, description="Default: the supplier's currency.")
    expected_date: date | None = None
    note: str = Field("", max_length=2000)
    lines: list[PurchaseOrderLineIn] = Field(..., min_length=1)


class PurchaseOrderPatch(InSchema):
    expected_date: date | None = None
    note: str | None = Field(None, max_length=2000)


class LineSetIn(InSchema):
    sku: str = Field(..., max_length=64)
    quantity: StrictInt = Field(..., description="0 removes the line.")
    unit_price: Price | None = None


class SendIn(InSchema):
    expected_date: date | None = Field(None, description="Default: today + the longest lead time.")


class PurchaseOrderReasonIn(InSchema):
    reason: str = Field(..., min_length=1, max_length=255)


class CloseIn(InSchema):
    reason: str = Field("", max_length=255)


class LineOut(Schema):
    id: int
    position: int
    sku: str
    supplier_sku: str
    name: str
    quantity_ordered: int
    quantity_received: int
    remaining: int
    over: int
    unit_price: MoneyOut


class PurchaseOrderOut(Schema):
    number: str
    supplier: str
    warehouse: str
    status: str
    currency: str
    total: MoneyOut
    expected_date: date | None
    note: str
    sent_at: datetime | None
    created_at: datetime
    allowed_next: list[str]
    lines: list[LineOut]
    pdf_url: str


class PurchaseOrderPageOut(Schema):
    items: list[PurchaseOrderOut]
    next_cursor: str | None


class PurchaseOrderEventOut(Schema):
    id: int
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    reason: str
    data: dict[str, Any]
    created_at: datetime


# --- Receipts ------------------------------------------------------------------------------------------


class ReceiptLineIn(InSchema):
    code: str = Field(
        "", max_length=64, description="SKU, barcode or the supplier's SKU (what a scanner reads)."
    )
    line_id: StrictInt | None = Field(None, description="Or the purchase order line's id.")
    quantity: StrictInt = 1


class ReceiptIn(InSchema):
    lines: list[ReceiptLineIn] = Field(..., min_length=1)
    note: str = Field("", max_length=500)


class ReceiptLineOut(Schema):
    sku: str
    quantity: int
    over: int


class BackorderServedOut(Schema):
    order: str
    sku: str
    quantity: int


class ReceiptOut(Schema):
    id: int
    purchase_order: str
    status: str
    received_by: str | None
    created_at: datetime
    note: str
    lines: list[ReceiptLineOut]
    allocated: list[BackorderServedOut]


def dump(schema: Schema) -> dict[str, Any]:
    return schema.model_dump(mode="json")
