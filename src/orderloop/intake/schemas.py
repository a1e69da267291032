"""Request (In) and response (Out) shapes of the order import API. Shapes only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from orderloop.core.shapes import InSchema
from orderloop.orders.models import Channel
from orderloop.orders.schemas import OrderIn

from .models import ImportFormat


class ImportedOrderIn(OrderIn):
    """One order of a JSON file: the body of POST /api/v1/orders; the channel comes from the import."""

    channel: Channel | None = None  # type: ignore[assignment]


class OrderImportIn(InSchema):
    format: ImportFormat | None = Field(None, description="csv or json; default: guessed from the content.")
    content: str | list[Any] | dict[str, Any] = Field(
        ..., description="The file's text; for JSON also the list of orders itself."
    )
    channel: Channel = Field(Channel.MARKETPLACE, description="marketplace, social, store or api.")
    file_name: str = Field("", max_length=255)


class ImportAcceptedOut(Schema):
    id: int
    status: str
    total: int = Field(..., description="Orders found in the file.")
    status_url: str


class ReportRowOut(Schema):
    row: int
    external_ref: str
    status: str = Field(..., description="created, duplicate or failed.")
    order_number: str | None
    errors: dict[str, str]


class ImportSummaryOut(Schema):
    id: int
    file_name: str
    format: str
    channel: str
    status: str
    total: int
    processed: int
    progress_percent: int
    created_count: int
    duplicate_count: int
    failed_count: int
    errors: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class OrderImportOut(ImportSummaryOut):
    report: list[ReportRowOut]
