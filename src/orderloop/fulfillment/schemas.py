"""Request (In) and response (Out) shapes of the fulfilment API."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Any

from ninja import Field, Schema

from orderloop.core.shapes import InSchema, UtcDateTime


class WaveIn(InSchema):
    warehouse: str = Field(..., max_length=20, examples=["kyiv"])
    method: str = Field(..., description="`single`, `batch`, `zone` or `wave` (batches picked by zone).")
    max_orders: int | None = Field(None, description="Default 200 (`FULFILLMENT_WAVE_MAX_ORDERS`).")
    batch_size: int | None = Field(None, description="Orders per batch (batch, wave); default 8.")
    delivery_methods: list[str] = Field(
        default_factory=list, max_length=50, description="Only these carriers."
    )
    placed_before: UtcDateTime | None = Field(None, description="The cut-off: only orders placed before it.")
    orders: list[str] = Field(default_factory=list, max_length=5000, description="Only these order numbers.")


class PickListSummaryOut(Schema):
    id: int
    code: str
    batch: int
    zone: str
    status: str
    picker: str | None
    units: int
    picked: int
    short: int
    pdf_url: str


class ToteOut(Schema):
    code: str
    order: str
    batch: int
    slot: int
    is_open: bool


class WaveOut(Schema):
    id: int
    number: str
    warehouse: str
    method: str
    status: str
    batch_size: int
    order_count: int
    delivery_methods: list[str]
    placed_before: datetime | None
    created_at: datetime
    pick_lists: list[PickListSummaryOut]
    totes: list[ToteOut]


class WaveListItemOut(Schema):
    id: int
    number: str
    warehouse: str
    method: str
    status: str
    order_count: int
    created_at: datetime


class WavesOut(Schema):
    items: list[WaveListItemOut]
    next_cursor: str | None


class ToteShareOut(Schema):
    tote: str
    order: str
    quantity: int
    remaining: int


class PickRowOut(Schema):
    position: int
    stock_id: int
    bin: str
    zone: str
    sku: str
    barcode: str
    name: str
    attributes: dict[str, Any]
    image_url: str
    quantity: int
    picked: int
    short: int
    remaining: int
    totes: list[ToteShareOut]


class PickListOut(Schema):
    id: int
    code: str
    wave: str
    warehouse: str
    zone: str
    batch: int
    status: str
    picker: str | None
    pdf_url: str
    rows: list[PickRowOut]


class PickIn(InSchema):
    code: str = Field(
        ..., min_length=1, max_length=100, description="The bin's code or the product's barcode/SKU."
    )
    quantity: int | None = Field(None, description="Default: everything the row still asks for.")
    stock_id: int | None = Field(None, description="Confirm this row (from the list's rows) only.")


class PickedUnitsOut(Schema):
    tote: str
    order: str
    units: int


class PickResultOut(Schema):
    accepted: bool
    sku: str
    bin: str
    units: int
    totes: list[PickedUnitsOut]
    pick_list_status: str


class ShortIn(InSchema):
    stock_id: int = Field(..., description="The row (from the list's rows) that was short.")
    found: int = Field(..., description="Units found in the bin (fewer than the row asks for).")
    reason: str = Field("not_found", max_length=100)


class ReallocatedOut(Schema):
    warehouse: str
    quantity: int


class ShortOut(Schema):
    found: int
    short: int
    reallocated: list[ReallocatedOut]
    backordered: int
    pick_list_status: str


class ParcelIn(InSchema):
    order: str = Field(..., max_length=20, description="The order number.")
    warehouse: str = Field(..., max_length=20)


class ParcelLineOut(Schema):
    position: int
    sku: str
    name: str
    quantity: int


class InvoiceRefOut(Schema):
    number: str
    pdf_url: str


class ParcelOut(Schema):
    id: int
    number: str
    order: str
    warehouse: str
    sequence: int
    status: str
    suggested_box: str | None
    box: str | None
    weight_g: int | None
    packed_by: str | None
    packed_at: datetime | None
    lines: list[ParcelLineOut]
    packing_slip_url: str
    invoice: InvoiceRefOut | None


class ParcelsOut(Schema):
    items: list[ParcelOut]
    next_cursor: str | None


class ParcelScanIn(InSchema):
    code: str = Field(..., min_length=1, max_length=100, description="The product's barcode or SKU.")


class ScanOut(Schema):
    accepted: bool
    outcome: str
    sku: str
    line_position: int | None
    parcel: ParcelOut


class PackIn(InSchema):
    box: str = Field(..., max_length=20, description="The box size code actually used.")
    weight_g: int = Field(..., description="The parcel's weight on the scale, grams.")


class ParcelReasonIn(InSchema):
    reason: str = Field("", max_length=255)


class QueueItemOut(Schema):
    number: str
    status: str
    priority: str
    promised_date: Date | None
    created_at: datetime
    delivery_method: str
    payment_method: str
    units_to_pick: int


class QueueOut(Schema):
    warehouse: str
    count: int
    items: list[QueueItemOut]


class AccuracyOut(Schema):
    accepted_units: int
    wrong_items: int = Field(
        ..., description="Mis-picks: products the order does not have, scanned at packing."
    )
    too_many: int = Field(..., description="Over-scans at packing (refused, not mis-picks).")
    unknown_codes: int = Field(
        ..., description="Codes of no product scanned at packing (refused, not mis-picks)."
    )
    mispicks: int
    accuracy: str | None = Field(..., description="0–1 as a decimal string; null when nothing was packed.")


class BoxSizeOut(Schema):
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_g: int
