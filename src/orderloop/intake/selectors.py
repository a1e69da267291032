"""Reads of order imports, shared by the API and the pages. Never write."""

from __future__ import annotations

from django.db.models import QuerySet

from orderloop.orders.models import Order

from .errors import OrderImportNotFound
from .models import OrderImport

SUMMARY_FIELDS = (
    "id",
    "file_name",
    "format",
    "channel",
    "status",
    "total",
    "processed",
    "created_count",
    "duplicate_count",
    "failed_count",
    "errors",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
)


def order_import_get(*, import_id: int, with_report: bool = True) -> OrderImport:
    imports = OrderImport.objects.defer("content")
    if not with_report:
        imports = imports.defer("content", "report")
    job = imports.filter(pk=import_id).first()
    if job is None:
        raise OrderImportNotFound(details={"id": import_id})
    return job


def order_import_recent(*, limit: int = 20) -> QuerySet[OrderImport]:
    """Newest first, without the file and the report (a list page needs neither)."""
    return OrderImport.objects.only(*SUMMARY_FIELDS).select_related("created_by").order_by("-id")[:limit]


def existing_order_number(*, channel: str, external_ref: str) -> str | None:
    """The order already placed for this channel's reference (a re-run reports it as a duplicate).

    Intake is the orders area's door for files, so it may read the order's (channel, external_ref) key.
    """
    if not external_ref:
        return None
    return (
        Order.objects.filter(channel=channel, external_ref=external_ref)
        .values_list("number", flat=True)
        .first()
    )
