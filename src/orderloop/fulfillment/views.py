"""Warehouse pages: the queue and wave release, the handheld pick screen, the packing station, and the
printed documents. As thin as api.py: parse a form, call one service or selector, render. Every page
works with a keyboard and a barcode scanner alone (the scanner types into the focused field and
presses Enter); scan forms post with htmx and re-render their panel, or as plain forms without it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.core.errors import DomainError
from orderloop.core.htmx import HtmxHttpRequest
from orderloop.inventory.models import Warehouse
from orderloop.orders.errors import OrderNotFound
from orderloop.orders.models import Order

from . import documents, selectors, services
from .errors import SCAN_REFUSALS, ParcelNotFound, PickListNotFound, WaveNotFound
from .forms import (
    PackForm,
    PickScanForm,
    ScanForm,
    ShortForm,
    StartPackingForm,
    WaveReleaseForm,
    add_service_error,
)
from .models import ParcelStatus, PickList, PickListStatus

VIEW = "fulfillment.view_wave"
RELEASE = "fulfillment.release_wave"
PICK = "fulfillment.pick_orders"
PACK = "fulfillment.pack_orders"


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _warehouse(request: HttpRequest) -> Warehouse | None:
    code = request.GET.get("warehouse") or request.session.get("fulfillment_warehouse")
    queryset = Warehouse.objects.filter(is_active=True).order_by("priority", "code")
    found = queryset.filter(code=code).first() if code else None
    found = found or queryset.first()
    if found is not None:
        request.session["fulfillment_warehouse"] = found.code
    return found


# --- Queue and waves ---------------------------------------------------------------------------------


def _queue_context(
    request: HttpRequest, *, form: WaveReleaseForm | None = None, **extra: Any
) -> dict[str, Any]:
    warehouse = _warehouse(request)
    ready = (
        selectors.ready_orders(warehouse=warehouse).select_related("delivery_method", "payment_method")
        if warehouse
        else Order.objects.none()
    )
    return {
        "warehouse": warehouse,
        "counts": selectors.queue_counts(),
        "ready": list(ready[:50]),
        "ready_count": ready.count(),
        "form": form or WaveReleaseForm(initial={"warehouse": warehouse.code if warehouse else None}),
        "waves": selectors.waves_recent(open_only=True),
        "accuracy": selectors.pick_accuracy(warehouse_code=warehouse.code if warehouse else None),
        "pick_form": ScanForm(prefix="picklist"),
        **extra,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "fulfillment/queue.html", _queue_context(request))


@login_required
@permission_required(RELEASE, raise_exception=True)
@require_POST
def wave_release(request: HttpRequest) -> HttpResponse:
    form = WaveReleaseForm(request.POST)
    if not form.is_valid():
        return render(request, "fulfillment/queue.html", _queue_context(request, form=form), status=400)
    data = form.cleaned_data
    try:
        wave = services.wave_release(
            warehouse_code=data["warehouse"],
            method=data["method"],
            max_orders=data["max_orders"],
            batch_size=data["batch_size"],
            delivery_method_codes=data["delivery_methods"],
            placed_before=data["placed_before"],
            actor=request.user,
        )
    except DomainError as exc:
        add_service_error(form, exc)
        return render(
            request, "fulfillment/queue.html", _queue_context(request, form=form), status=exc.http_status
        )
    return redirect("fulfillment:wave_detail", wave_id=wave.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    try:
        wave = selectors.wave_get(wave_id=wave_id)
    except WaveNotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "fulfillment/wave_detail.html",
        {"wave": wave, "pick_lists": selectors.pick_lists_of(wave), "totes": selectors.totes_of(wave)},
    )


# --- Picking (handheld) -------------------------------------------------------------------------------


@login_required
@permission_required(PICK, raise_exception=True)
def pick_start(request: HttpRequest) -> HttpResponse:
    """Scan a pick list's code (printed on it) to open it on the handheld."""
    form = ScanForm(request.GET or None, prefix="picklist")
    error = None
    if form.is_bound and form.is_valid():
        try:
            found = selectors.pick_list_get(code=form.cleaned_data["code"])
            return redirect("fulfillment:pick_list", pick_list_id=found.pk)
        except PickListNotFound as exc:
            error = exc.message
    open_lists = (
        PickList.objects.exclude(status=PickListStatus.DONE)
        .select_related("wave__warehouse", "picker")
        .order_by("wave_id", "sequence")[:50]
    )
    return render(
        request, "fulfillment/pick_start.html", {"form": form, "error": error, "open_lists": open_lists}
    )


def _pick_context(pick_list: PickList, **extra: Any) -> dict[str, Any]:
    rows = selectors.pick_rows(pick_list)
    current = next((row for row in rows if row.remaining), None)
    return {
        "pick_list": pick_list,
        "rows": rows,
        "current": current,
        "scan_form": extra.pop("scan_form", None) or PickScanForm(),
        "short_form": ShortForm(initial={"stock_id": current.stock_id if current else None, "found": 0}),
        **extra,
    }


def _pick_panel(
    request: HtmxHttpRequest, pick_list_id: int, *, status: int = 200, **extra: Any
) -> HttpResponse:
    try:
        pick_list = selectors.pick_list_get(pick_list_id=pick_list_id)
    except PickListNotFound as exc:
        raise Http404 from exc
    template = "fulfillment/pick_list.html#pick-panel" if request.htmx else "fulfillment/pick_list.html"
    return render(request, template, _pick_context(pick_list, **extra), status=status)


@login_required
@permission_required(PICK, raise_exception=True)
def pick_list(request: HtmxHttpRequest, pick_list_id: int) -> HttpResponse:
    return _pick_panel(request, pick_list_id)


@login_required
@permission_required(PICK, raise_exception=True)
@require_POST
def pick_scan(request: HtmxHttpRequest, pick_list_id: int) -> HttpResponse:
    form = PickScanForm(request.POST)
    if not form.is_valid():
        message = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return _pick_panel(request, pick_list_id, status=400, outcome="refused", message=message)
    try:
        result = services.pick_confirm(
            pick_list_id=pick_list_id,
            code=form.cleaned_data["code"],
            quantity=form.cleaned_data["quantity"],
            stock_id=form.cleaned_data["stock_id"],
            actor=request.user,
        )
    except PickListNotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        message = (
            "; ".join(str(m) for m in exc.details.values())
            if exc.details and exc.code == "validation_error"
            else exc.message
        )
        return _pick_panel(request, pick_list_id, status=exc.http_status, outcome="refused", message=message)
    if not result.accepted:
        return _pick_panel(
            request,
            pick_list_id,
            status=409,
            outcome="refused",
            message=_("“%(code)s” is not a bin or product on this list. Scan again.") % {"code": result.code},
        )
    return _pick_panel(
        request,
        pick_list_id,
        outcome="accepted",
        message=_("Picked %(n)s × %(sku)s.") % {"n": result.units, "sku": result.sku},
        last_totes=result.totes,
    )


@login_required
@permission_required(PICK, raise_exception=True)
@require_POST
def pick_short(request: HtmxHttpRequest, pick_list_id: int) -> HttpResponse:
    form = ShortForm(request.POST)
    if not form.is_valid():
        return _pick_panel(
            request, pick_list_id, status=400, outcome="refused", message=_("Enter the units found.")
        )
    try:
        result = services.pick_short(
            pick_list_id=pick_list_id,
            stock_id=form.cleaned_data["stock_id"],
            found=form.cleaned_data["found"],
            actor=request.user,
        )
    except PickListNotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        message = (
            "; ".join(str(m) for m in exc.details.values())
            if exc.details and exc.code == "validation_error"
            else exc.message
        )
        return _pick_panel(request, pick_list_id, status=exc.http_status, outcome="refused", message=message)
    parts = [_("Short pick recorded: %(n)s missing.") % {"n": result.short}]
    for code, units in result.reallocated:
        parts.append(_("%(n)s re-allocated to %(warehouse)s.") % {"n": units, "warehouse": code})
    if result.backordered:
        parts.append(_("%(n)s backordered.") % {"n": result.backordered})
    return _pick_panel(request, pick_list_id, outcome="short", message=" ".join(parts))


@login_required
@permission_required("fulfillment.view_picklist", raise_exception=True)
def pick_list_pdf(request: HttpRequest, pick_list_id: int) -> HttpResponse:
    try:
        found = selectors.pick_list_get(pick_list_id=pick_list_id)
    except PickListNotFound as exc:
        raise Http404 from exc
    return _pdf(documents.render_pick_list_pdf(found), found.code)


# --- Packing station ---------------------------------------------------------------------------------


@login_required
@permission_required(PACK, raise_exception=True)
def pack_start(request: HttpRequest) -> HttpResponse:
    """Scan the tote (its label) or type the order number to bring the order to the station."""
    warehouse = _warehouse(request)
    form = StartPackingForm(request.GET or None, initial={"warehouse": warehouse.code if warehouse else None})
    error = None
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        tote = selectors.tote_by_code(code)
        if tote is not None:
            return redirect("fulfillment:station", warehouse=tote.warehouse.code, number=tote.order.number)
        if Order.objects.filter(number=code.strip()).exists():
            return redirect(
                "fulfillment:station", warehouse=form.cleaned_data["warehouse"], number=code.strip()
            )
        error = _("No tote or order has this code.")
    return render(request, "fulfillment/pack_start.html", {"form": form, "error": error})


def _station_objects(warehouse: str, number: str) -> tuple[Order, Warehouse]:
    found = Warehouse.objects.filter(code=warehouse).first()
    if found is None:
        raise Http404
    try:
        return selectors.order_for_packing(number=number), found
    except OrderNotFound as exc:
        raise Http404 from exc


def _station(
    request: HtmxHttpRequest, warehouse: str, number: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    order, found = _station_objects(warehouse, number)
    view = selectors.packing_view(order=order, warehouse=found)
    pack_form = extra.pop("pack_form", None) or PackForm(
        initial={"box": view.suggested_box.code if view.suggested_box else None}
    )
    context = {
        "view": view,
        "order": order,
        "warehouse": found,
        "scan_form": ScanForm(),
        "pack_form": pack_form,
        **extra,
    }
    template = "fulfillment/station.html#station" if request.htmx else "fulfillment/station.html"
    return render(request, template, context, status=status)


@login_required
@permission_required(PACK, raise_exception=True)
def station(request: HtmxHttpRequest, warehouse: str, number: str) -> HttpResponse:
    return _station(request, warehouse, number)


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def station_scan(request: HtmxHttpRequest, warehouse: str, number: str) -> HttpResponse:
    """One scan: the first opens a parcel; a refused scan is recorded and answered with a signal."""
    order, found = _station_objects(warehouse, number)
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _station(
            request, warehouse, number, status=400, outcome="refused", message=_("Scan a product.")
        )
    try:
        parcel = services.parcel_open(order_id=order.pk, warehouse_code=found.code, actor=request.user)
        result = services.parcel_scan(parcel_id=parcel.pk, code=form.cleaned_data["code"], actor=request.user)
    except DomainError as exc:
        return _station(
            request, warehouse, number, status=exc.http_status, outcome="refused", message=exc.message
        )
    if not result.accepted:
        message = str(SCAN_REFUSALS[result.outcome].default_message)
        if result.sku:
            message = f"{result.sku}: {message}"
        return _station(
            request, warehouse, number, status=409, outcome="refused", refusal=result.outcome, message=message
        )
    return _station(
        request, warehouse, number, outcome="accepted", message=_("%(sku)s packed.") % {"sku": result.sku}
    )


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def station_close(request: HtmxHttpRequest, warehouse: str, number: str) -> HttpResponse:
    order, found = _station_objects(warehouse, number)
    form = PackForm(request.POST)
    parcel = order.parcels.filter(warehouse=found, status=ParcelStatus.OPEN).first()
    if parcel is None:
        return _station(
            request, warehouse, number, status=409, outcome="refused", message=_("No parcel is open.")
        )
    if not form.is_valid():
        return _station(request, warehouse, number, status=400, pack_form=form, outcome="refused")
    try:
        packed = services.parcel_pack(
            parcel_id=parcel.pk,
            box_code=form.cleaned_data["box"],
            weight_g=form.cleaned_data["weight_g"],
            actor=request.user,
        )
    except DomainError as exc:
        add_service_error(form, exc)
        return _station(
            request,
            warehouse,
            number,
            status=exc.http_status,
            pack_form=form,
            outcome="refused",
            message=exc.message,
        )
    return _station(
        request,
        warehouse,
        number,
        outcome="packed",
        message=_("Parcel %(number)s packed.") % {"number": packed.number},
        packed_parcel=packed,
    )


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def station_cancel(request: HtmxHttpRequest, warehouse: str, number: str) -> HttpResponse:
    order, found = _station_objects(warehouse, number)
    parcel = order.parcels.filter(warehouse=found, status=ParcelStatus.OPEN).first()
    if parcel is not None:
        services.parcel_cancel(parcel_id=parcel.pk, actor=request.user, reason="put aside at the station")
    return _station(
        request, warehouse, number, outcome="short", message=_("Parcel put aside; scan the items again.")
    )


def _parcel(parcel_id: int) -> Any:
    try:
        return selectors.parcel_get(parcel_id=parcel_id)
    except ParcelNotFound as exc:
        raise Http404 from exc


@login_required
@permission_required("fulfillment.view_parcel", raise_exception=True)
def packing_slip_pdf(request: HttpRequest, parcel_id: int) -> HttpResponse:
    parcel = _parcel(parcel_id)
    return _pdf(documents.render_packing_slip_pdf(parcel), f"packing-slip-{parcel.number}")


@login_required
@permission_required("fulfillment.view_parcel", raise_exception=True)
def parcel_invoice_pdf(request: HttpRequest, parcel_id: int) -> HttpResponse:
    parcel = _parcel(parcel_id)
    try:
        content, number = documents.parcel_invoice_pdf(parcel)
    except DomainError as exc:
        raise Http404 from exc
    return _pdf(content, f"invoice-{number}")


def station_url(order: Order, warehouse: Warehouse) -> str:
    return reverse("fulfillment:station", kwargs={"warehouse": warehouse.code, "number": order.number})
