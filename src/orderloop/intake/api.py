"""Order import API, mounted at /api/v1/orders/imports: upload a file of orders (CSV or JSON), then poll
its status and per-order report. The rules live in intake/services.py and orders.services.order_place.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Header, Router

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.core.idempotency import fingerprint, run_idempotent
from orderloop.core.shapes import REF_TEMPLATE

from . import selectors, services
from .errors import ImportFileInvalid
from .models import IMPORT_CHANNELS, OrderImport
from .schemas import ImportAcceptedOut, ImportSummaryOut, OrderImportIn, OrderImportOut, ReportRowOut

router = Router(tags=["order imports"])

PERMISSION = "orders.add_order"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "UTF-8 CSV or JSON."},
                    "format": {"type": "string", "enum": ["csv", "json"]},
                    "channel": {"type": "string", "enum": ["marketplace", "social", "store", "api"]},
                },
            }
        },
        "application/json": {"schema": OrderImportIn.model_json_schema(ref_template=REF_TEMPLATE)},
    },
}


def summary_out(job: OrderImport) -> dict[str, Any]:
    return ImportSummaryOut(
        id=job.pk,
        file_name=job.file_name,
        format=job.format,
        channel=job.channel,
        status=job.status,
        total=job.total,
        processed=job.processed,
        progress_percent=job.progress_percent,
        created_count=job.created_count,
        duplicate_count=job.duplicate_count,
        failed_count=job.failed_count,
        errors=[str(error) for error in job.errors],
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    ).model_dump()


def _status_url(request: HttpRequest, import_id: int) -> str:
    return f"{request.path.rstrip('/')}/{import_id}"


def _read_request(request: HttpRequest) -> dict[str, Any]:
    """The upload as {file_name, content, channel, file_format}, from a multipart form or a JSON body."""
    if (request.content_type or "").startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(details={"file": _("Attach the file as the `file` field.")})
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ImportFileInvalid(
                details={"file": _("The file is larger than 20 MB; split it into several files.")}
            )
        try:
            content = decode_upload(upload.read())
        except CsvFormatError as exc:
            raise ImportFileInvalid(str(exc), details={"file": str(exc)}) from exc
        return {
            "file_name": upload.name or "",
            "content": content,
            "channel": request.POST.get("channel") or IMPORT_CHANNELS[0],
            "file_format": request.POST.get("format") or None,
        }
    try:
        raw = json.loads(request.body or b"null")
        payload = OrderImportIn.model_validate(raw)
    except ValueError as exc:
        if isinstance(exc, pydantic.ValidationError):
            details = {
                ".".join(str(p) for p in error["loc"]) or "body": str(error["msg"]) for error in exc.errors()
            }
        else:
            details = {"body": _("Send a multipart form with a `file`, or a JSON body {format, content}.")}
        raise InvalidInput(details=details) from exc
    content = payload.content if isinstance(payload.content, str) else json.dumps(payload.content)
    file_format = payload.format.value if payload.format else None
    if not isinstance(payload.content, str):
        file_format = "json"
    return {
        "file_name": payload.file_name,
        "content": content,
        "channel": payload.channel.value,
        "file_format": file_format,
    }


@router.post(
    "",
    response={202: ImportAcceptedOut},
    summary="Import a file of orders",
    description=(
        "Send the file as multipart form field `file` (with optional `format` and `channel`), or a JSON "
        "body `{format, content, channel}`. The file is checked and queued: 202 with the import id and "
        "its status URL; an unreadable file is a 422 `import_file_invalid`. Each order is then placed on "
        "its own with the rules of POST /orders; see the status URL for progress and the per-order report. "
        "An `Idempotency-Key` header makes a retried upload return the first answer."
    ),
    openapi_extra={"requestBody": _REQUEST_BODY},
)
def import_create(
    request: HttpRequest, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
) -> JsonResponse:
    require_perm(request, PERMISSION)
    upload = _read_request(request)

    def start() -> tuple[int, Any]:
        job = services.order_import_start(**upload, actor=request.user)
        body = ImportAcceptedOut(
            id=job.pk, status=job.status, total=job.total, status_url=_status_url(request, job.pk)
        )
        return 202, body.model_dump()

    answer = run_idempotent(
        scope=f"orders.import:{request.user.pk}",
        key=idempotency_key,
        request_body={**upload, "content": fingerprint(upload["content"])},
        action=start,
    )
    response = JsonResponse(answer.body, status=answer.status_code)
    if answer.status_code == 202:
        response["Location"] = answer.body["status_url"]
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("", response=list[ImportSummaryOut], summary="Recent imports, newest first")
def import_list(request: HttpRequest, limit: int = 20) -> list[dict[str, Any]]:
    require_perm(request, PERMISSION)
    return [summary_out(job) for job in selectors.order_import_recent(limit=max(1, min(limit, 100)))]


@router.get("/{import_id}", response=OrderImportOut, summary="An import's status, progress and report")
def import_detail(request: HttpRequest, import_id: int) -> dict[str, Any]:
    require_perm(request, PERMISSION)
    job = selectors.order_import_get(import_id=import_id)
    return {
        **summary_out(job),
        "report": [ReportRowOut.model_validate(entry).model_dump() for entry in job.report],
    }
