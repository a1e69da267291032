"""Order import pages: upload a file, watch its progress, read the per-order report. As thin as the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from orderloop.catalog.csv_io import CsvFormatError, decode_upload
from orderloop.core.htmx import HtmxHttpRequest

from . import parsing, selectors, services
from .errors import ImportFileInvalid, OrderImportNotFound
from .forms import OrderImportForm

PERMISSION = "orders.add_order"
REPORT_ROWS_SHOWN = 1000


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_create(request: HttpRequest) -> HttpResponse:
    form = OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.order_import_start(
                file_name=upload.name,
                content=decode_upload(upload.read()),
                channel=form.cleaned_data["channel"],
                file_format=form.cleaned_data["format"] or None,
                actor=request.user,
            )
        except CsvFormatError as exc:
            form.add_error("file", str(exc))
        except ImportFileInvalid as exc:
            form.add_error("file", exc.details.get("file") or exc.message)
        else:
            return redirect("intake:import_detail", import_id=job.pk)
    context = {
        "form": form,
        "imports": selectors.order_import_recent(limit=10),
        "columns": parsing.COLUMNS,
        "required_columns": parsing.REQUIRED_COLUMNS,
    }
    return render(request, "intake/import_form.html", context, status=400 if form.errors else 200)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/import_list.html", {"imports": selectors.order_import_recent(limit=100)})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_detail(request: HtmxHttpRequest, import_id: int) -> HttpResponse:
    try:
        job = selectors.order_import_get(import_id=import_id)
    except OrderImportNotFound as exc:
        raise Http404 from exc
    rows = job.report if job.is_finished else []
    context = {
        "job": job,
        "rows": rows[:REPORT_ROWS_SHOWN],
        "rows_hidden": max(0, len(rows) - REPORT_ROWS_SHOWN),
    }
    template = "intake/import_detail.html#import-progress" if request.htmx else "intake/import_detail.html"
    return render(request, template, context)
