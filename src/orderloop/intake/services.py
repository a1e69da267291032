"""Every write of order imports. Orders are placed only through orders.services.order_place.

A file is not all-or-nothing: each order is placed in its own transaction with the same rules as an API
order (422-style field errors, insufficient_stock, duplicate external_ref), good orders are placed and bad
ones listed in the report. The (channel, external_ref) key makes a re-run safe: an order already placed
is reported as `duplicate`, never placed twice.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import pydantic
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orderloop.core.actors import actor_id as _actor_id
from orderloop.core.errors import DomainError, InvalidInput
from orderloop.core.outbox import enqueue_with_transaction
from orderloop.orders import domain
from orderloop.orders.errors import DuplicateExternalRef, InsufficientStock
from orderloop.orders.services import order_place

from . import parsing, selectors
from .errors import ImportFileInvalid, OrderImportNotFound
from .models import IMPORT_CHANNELS, ImportStatus, OrderImport, RowStatus
from .schemas import ImportedOrderIn

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

# Progress (counts) is saved at least this often, in its own commit, so the status page moves.
PROGRESS_SECONDS = 1.0
PROGRESS_EVERY = 50
# The report (which grows with the file) is saved less often; a resumed run starts after it.
REPORT_EVERY = 500


def order_import_start(
    *,
    file_name: str,
    content: str,
    channel: str = IMPORT_CHANNELS[0],
    file_format: str | None = None,
    actor: Actor,
) -> OrderImport:
    """Check that the file can be read, store it and queue its import in the same transaction (the task
    queue is an outbox). Raises ImportFileInvalid (422, `details.file`) for an unreadable file."""
    content = content.replace("\x00", "")
    if channel not in IMPORT_CHANNELS:
        raise InvalidInput(
            details={"channel": _("Use one of: %(channels)s.") % {"channels": ", ".join(IMPORT_CHANNELS)}}
        )
    try:
        resolved = parsing.detect_format(file_name, content, file_format)
        orders = parsing.parse(content, resolved)
    except parsing.ImportFileError as exc:
        raise ImportFileInvalid(str(exc), details={"file": str(exc)}) from exc
    from .tasks import run_order_import  # tasks import services: import here to avoid a cycle

    with transaction.atomic():
        job = OrderImport.objects.create(
            file_name=(file_name or "").replace("\x00", "").strip()[:255] or f"orders.{resolved}",
            format=resolved,
            content=content,
            channel=channel,
            total=len(orders),
            created_by_id=_actor_id(actor),
        )
        enqueue_with_transaction(run_order_import, import_id=job.pk)
    return job


def _validation_errors(exc: pydantic.ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ())) or "body"
        errors.setdefault(path, str(error.get("msg", "invalid")))
    return errors


def _short_lines(exc: InsufficientStock) -> dict[str, str]:
    errors: dict[str, str] = {}
    for line in exc.details.get("lines", []):
        errors[f"lines.{line['index']}.quantity"] = _(
            "Not enough stock: %(requested)s requested, %(available)s available."
        ) % {"requested": line["requested"], "available": line["available"]}
    return errors or {"lines": exc.message}


def _import_one(parsed: parsing.ParsedOrder, *, job: OrderImport, actor: Actor) -> dict[str, Any]:
    """Place one order of the file (its own transaction, inside order_place) and say what happened."""
    entry: dict[str, Any] = {
        "row": parsed.row,
        "external_ref": parsed.external_ref,
        "status": RowStatus.FAILED.value,
        "order_number": None,
        "errors": {},
    }
    existing = selectors.existing_order_number(channel=job.channel, external_ref=parsed.external_ref)
    if existing is not None:
        entry.update(status=RowStatus.DUPLICATE.value, order_number=existing)
        return entry
    errors: dict[str, Any] = dict(parsed.errors)
    data: ImportedOrderIn | None = None
    if not errors:
        try:
            data = ImportedOrderIn.model_validate(parsed.payload)
        except pydantic.ValidationError as exc:
            errors = _validation_errors(exc)
    if data is not None and data.channel and data.channel != job.channel:
        errors["channel"] = _("This import is for the %(channel)s channel.") % {"channel": job.channel}
    if not errors and data is not None:
        try:
            order = order_place(
                channel=job.channel,
                external_ref=data.external_ref,
                customer=domain.CustomerData(**data.customer.model_dump()),
                shipping_address=domain.AddressData(**data.shipping_address.model_dump()),
                delivery_method_code=data.delivery_method,
                payment_method_code=data.payment_method,
                lines=[domain.LineData(**line.model_dump()) for line in data.lines],
                priority=data.priority,
                preferred_delivery=domain.PreferredDelivery(**data.preferred_delivery.model_dump())
                if data.preferred_delivery
                else None,
                comment=data.comment,
                actor=actor,
            )
        except DuplicateExternalRef as exc:
            entry.update(status=RowStatus.DUPLICATE.value, order_number=exc.details.get("number"))
            return entry
        except InsufficientStock as exc:
            errors = _short_lines(exc)
        except InvalidInput as exc:
            errors = dict(exc.details) or {"body": exc.message}
        except DomainError as exc:
            errors = {"order": f"{exc.code}: {exc.message}"}
        except Exception:  # one broken order must not stop the others; the log has the traceback
            logger.exception("order import %s: row %s could not be placed", job.pk, parsed.row)
            errors = {"order": _("Could not be placed because of an error on our side.")}
        else:
            entry.update(status=RowStatus.CREATED.value, order_number=order.number)
            return entry
        # Another run of the same file may have placed it meanwhile (its stock then looks taken).
        existing = selectors.existing_order_number(channel=job.channel, external_ref=parsed.external_ref)
        if existing is not None:
            entry.update(status=RowStatus.DUPLICATE.value, order_number=existing)
            return entry
    entry["errors"] = parsing.report_errors(errors, parsed, job.format)
    return entry


def _counts(report: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(entry["status"] for entry in report)
    return {
        "created_count": counts[RowStatus.CREATED],
        "duplicate_count": counts[RowStatus.DUPLICATE],
        "failed_count": counts[RowStatus.FAILED],
    }


def _save(import_id: int, *, report: list[dict[str, Any]] | None = None, **fields: Any) -> None:
    # Outside any transaction: each call commits on its own, so the status page sees it at once.
    if report is not None:
        fields["report"] = report
    OrderImport.objects.filter(pk=import_id).update(**fields)


def order_import_run(*, import_id: int) -> OrderImport:
    """Place every order of the file, saving progress as it goes. Safe to run twice: a finished import is
    left alone, an interrupted one resumes after the last saved report entry (orders placed after it
    come back as `duplicate`, never twice)."""
    job = OrderImport.objects.select_related("created_by").filter(pk=import_id).first()
    if job is None:
        raise OrderImportNotFound(details={"id": import_id})
    if job.is_finished:
        return job
    report: list[dict[str, Any]] = list(job.report) if job.status == ImportStatus.PLACING else []
    _save(import_id, status=ImportStatus.VALIDATING, started_at=job.started_at or timezone.now())
    try:
        orders = parsing.parse(job.content, job.format)
    except parsing.ImportFileError as exc:
        _save(import_id, status=ImportStatus.FAILED, errors=[str(exc)], finished_at=timezone.now())
        return OrderImport.objects.get(pk=import_id)
    report = report[: len(orders)]
    _save(
        import_id,
        report=report,
        status=ImportStatus.PLACING,
        total=len(orders),
        processed=len(report),
        **_counts(report),
    )
    actor = job.created_by
    saved_at = time.monotonic()
    report_saved = len(report)
    try:
        for parsed in orders[len(report) :]:
            report.append(_import_one(parsed, job=job, actor=actor))
            done = len(report)
            if done - report_saved >= REPORT_EVERY:
                _save(import_id, report=report, processed=done, **_counts(report))
                report_saved, saved_at = done, time.monotonic()
            elif done % PROGRESS_EVERY == 0 or time.monotonic() - saved_at >= PROGRESS_SECONDS:
                _save(import_id, processed=done, **_counts(report))
                saved_at = time.monotonic()
    except Exception:
        # E.g. the database went away. What was placed stays placed (uploading the file again reports
        # those orders as duplicates); the import says where it stopped.
        message = ngettext(
            "Stopped after %(n)s order because of an error on our side; upload the file again.",
            "Stopped after %(n)s orders because of an error on our side; upload the file again.",
            len(report),
        )
        _save(
            import_id,
            report=report,
            status=ImportStatus.FAILED,
            processed=len(report),
            errors=[message % {"n": len(report)}],
            finished_at=timezone.now(),
            **_counts(report),
        )
        raise
    _save(
        import_id,
        report=report,
        status=ImportStatus.DONE,
        processed=len(report),
        finished_at=timezone.now(),
        **_counts(report),
    )
    return OrderImport.objects.get(pk=import_id)
