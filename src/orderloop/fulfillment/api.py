"""Fulfilment API: the queue (/fulfillment/queue), waves (/waves), pick lists (/pick-lists) and parcels
(/parcels). Each handler checks the role, parses, calls one service or selector and shapes the answer.

A refused scan is recorded first (its own committed transaction) and then answered 409 with a code that
says why (`wrong_pick_scan`; at packing `wrong_item`, `too_many`, `unknown_code`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.core.pagination import keyset_page
from orderloop.core.shapes import UtcDateTime
from orderloop.inventory.models import Warehouse

from . import documents, selectors, services
from .errors import SCAN_REFUSALS, WrongPickScan
from .models import Parcel, PickList, Wave
from .schemas import (
    AccuracyOut,
    BoxSizeOut,
    InvoiceRefOut,
    PackIn,
    ParcelIn,
    ParcelLineOut,
    ParcelOut,
    ParcelReasonIn,
    ParcelScanIn,
    ParcelsOut,
    PickedUnitsOut,
    PickIn,
    PickListOut,
    PickListSummaryOut,
    PickResultOut,
    PickRowOut,
    QueueItemOut,
    QueueOut,
    ReallocatedOut,
    ScanOut,
    ShortIn,
    ShortOut,
    ToteOut,
    ToteShareOut,
    WaveIn,
    WaveListItemOut,
    WaveOut,
    WavesOut,
)

fulfillment_router = Router(tags=["fulfillment"])
waves_router = Router(tags=["fulfillment"])
pick_lists_router = Router(tags=["fulfillment"])
parcels_router = Router(tags=["fulfillment"])

VIEW = "fulfillment.view_wave"
RELEASE = "fulfillment.release_wave"
PICK = "fulfillment.pick_orders"
PACK = "fulfillment.pack_orders"


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _warehouse(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code__iexact=(code or "").strip()).first()
    if warehouse is None:
        raise InvalidInput(details={"warehouse": _("No warehouse has this code.")})
    return warehouse


# --- Queue, accuracy, boxes --------------------------------------------------------------------------


@fulfillment_router.get(
    "/queue", response=QueueOut, summary="Orders ready to pick in a warehouse, in queue order"
)
def queue(
    request: HttpRequest,
    warehouse: str,
    delivery_method: list[str] = Query([]),  # noqa: B008
    placed_before: UtcDateTime | None = None,
    limit: int = 100,
) -> QueueOut:
    require_perm(request, VIEW)
    if not 1 <= limit <= 500:
        raise InvalidInput(details={"limit": _("Must be between 1 and %(n)s.") % {"n": 500}})
    ready = selectors.ready_orders(
        warehouse=_warehouse(warehouse), delivery_method_codes=delivery_method, placed_before=placed_before
    ).select_related("delivery_method", "payment_method")
    return QueueOut(
        warehouse=warehouse,
        count=ready.count(),
        items=[
            QueueItemOut(
                number=order.number,
                status=order.status,
                priority=order.priority,
                promised_date=order.promised_date,
                created_at=order.created_at,
                delivery_method=order.delivery_method.code,
                payment_method=order.payment_method.code,
                units_to_pick=order.units_to_pick,  # type: ignore[attr-defined]
            )
            for order in ready[:limit]
        ],
    )


@fulfillment_router.get(
    "/pick-accuracy", response=AccuracyOut, summary="Pick accuracy from the packing scans (for analytics)"
)
def pick_accuracy(
    request: HttpRequest,
    since: UtcDateTime | None = None,
    until: UtcDateTime | None = None,
    warehouse: str | None = None,
) -> AccuracyOut:
    require_perm(request, "fulfillment.view_scanrecord")
    figure = selectors.pick_accuracy(since=since, until=until, warehouse_code=warehouse)
    return AccuracyOut(
        accepted_units=figure.accepted_units,
        wrong_items=figure.wrong_items,
        too_many=figure.too_many,
        unknown_codes=figure.unknown_codes,
        mispicks=figure.mispicks,
        accuracy=str(figure.accuracy) if figure.accuracy is not None else None,
    )


@fulfillment_router.get("/box-sizes", response=list[BoxSizeOut], summary="The shop's standard boxes")
def box_sizes(request: HttpRequest) -> list[BoxSizeOut]:
    require_perm(request, VIEW)
    return [
        BoxSizeOut(
            code=box.code,
            name=box.name,
            length_mm=box.length_mm,
            width_mm=box.width_mm,
            height_mm=box.height_mm,
            max_weight_g=box.max_weight_g,
        )
        for box in selectors.box_sizes()
    ]


# --- Waves -----------------------------------------------------------------------------------------------


def _pick_list_pdf_url(pick_list: PickList) -> str:
    return reverse("api-v1:fulfillment_pick_list_pdf", kwargs={"pick_list_id": pick_list.pk})


def wave_out(wave: Wave) -> WaveOut:
    return WaveOut(
        id=wave.pk,
        number=wave.number,
        warehouse=wave.warehouse.code,
        method=wave.method,
        status=wave.status,
        batch_size=wave.batch_size,
        order_count=wave.order_count,
        delivery_methods=list(wave.delivery_methods or []),
        placed_before=wave.cutoff_at,
        created_at=wave.created_at,
        pick_lists=[
            PickListSummaryOut(
                id=pl.pk,
                code=pl.code,
                batch=pl.batch,
                zone=pl.zone,
                status=pl.status,
                picker=pl.picker.get_username() if pl.picker else None,
                units=pl.units,  # type: ignore[attr-defined]
                picked=pl.picked,  # type: ignore[attr-defined]
                short=pl.short,  # type: ignore[attr-defined]
                pdf_url=_pick_list_pdf_url(pl),
            )
            for pl in selectors.pick_lists_of(wave)
        ],
        totes=[
            ToteOut(code=t.code, order=t.order.number, batch=t.batch, slot=t.slot, is_open=t.is_open)
            for t in selectors.totes_of(wave)
        ],
    )


@waves_router.post("", response={201: WaveOut}, summary="Release a wave of ready orders")
def wave_release(request: HttpRequest, payload: WaveIn) -> tuple[int, WaveOut]:
    require_perm(request, RELEASE)
    wave = services.wave_release(
        warehouse_code=payload.warehouse,
        method=payload.method,
        max_orders=payload.max_orders,
        batch_size=payload.batch_size,
        delivery_method_codes=payload.delivery_methods,
        placed_before=payload.placed_before,
        order_numbers=payload.orders,
        actor=request.user,
    )
    return 201, wave_out(selectors.wave_get(wave_id=wave.pk))


@waves_router.get("", response=WavesOut, summary="Waves, newest last (cursor pagination)")
def wave_list(
    request: HttpRequest,
    status: str | None = None,
    warehouse: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> WavesOut:
    require_perm(request, VIEW)
    queryset = Wave.objects.select_related("warehouse")
    if status:
        queryset = queryset.filter(status=status)
    if warehouse:
        queryset = queryset.filter(warehouse__code__iexact=warehouse)
    page = keyset_page(queryset, cursor=cursor, limit=limit)
    return WavesOut(
        items=[
            WaveListItemOut(
                id=w.pk,
                number=w.number,
                warehouse=w.warehouse.code,
                method=w.method,
                status=w.status,
                order_count=w.order_count,
                created_at=w.created_at,
            )
            for w in page.items
        ],
        next_cursor=page.next_cursor,
    )


@waves_router.get("/{wave_id}", response=WaveOut, summary="A wave with its pick lists and totes")
def wave_detail(request: HttpRequest, wave_id: int) -> WaveOut:
    require_perm(request, VIEW)
    return wave_out(selectors.wave_get(wave_id=wave_id))


# --- Pick lists ------------------------------------------------------------------------------------------


def pick_list_out(pick_list: PickList) -> PickListOut:
    return PickListOut(
        id=pick_list.pk,
        code=pick_list.code,
        wave=pick_list.wave.number,
        warehouse=pick_list.wave.warehouse.code,
        zone=pick_list.zone,
        batch=pick_list.batch,
        status=pick_list.status,
        picker=pick_list.picker.get_username() if pick_list.picker else None,
        pdf_url=_pick_list_pdf_url(pick_list),
        rows=[
            PickRowOut(
                position=row.position,
                stock_id=row.stock_id,
                bin=row.bin_code,
                zone=row.zone,
                sku=row.sku,
                barcode=row.barcode,
                name=row.name,
                attributes=row.attributes,
                image_url=row.image_url,
                quantity=row.quantity,
                picked=row.picked,
                short=row.short,
                remaining=row.remaining,
                totes=[
                    ToteShareOut(
                        tote=t.tote_code, order=t.order_number, quantity=t.quantity, remaining=t.remaining
                    )
                    for t in row.totes
                ],
            )
            for row in selectors.pick_rows(pick_list)
        ],
    )


@pick_lists_router.get("/{pick_list_id}", response=PickListOut, summary="A pick list's rows in route order")
def pick_list_detail(request: HttpRequest, pick_list_id: int) -> PickListOut:
    require_perm(request, "fulfillment.view_picklist")
    return pick_list_out(selectors.pick_list_get(pick_list_id=pick_list_id))


@pick_lists_router.get(
    "/{pick_list_id}/pdf", url_name="fulfillment_pick_list_pdf", summary="The pick list as a printable PDF"
)
def pick_list_pdf(request: HttpRequest, pick_list_id: int) -> HttpResponse:
    require_perm(request, "fulfillment.view_picklist")
    pick_list = selectors.pick_list_get(pick_list_id=pick_list_id)
    return _pdf(documents.render_pick_list_pdf(pick_list), pick_list.code)


@pick_lists_router.post("/{pick_list_id}/claim", response=PickListOut, summary="Take the pick list")
def pick_list_claim(request: HttpRequest, pick_list_id: int) -> PickListOut:
    require_perm(request, PICK)
    services.pick_list_claim(pick_list_id=pick_list_id, actor=request.user)
    return pick_list_out(selectors.pick_list_get(pick_list_id=pick_list_id))


@pick_lists_router.post(
    "/{pick_list_id}/picks",
    response=PickResultOut,
    summary="Confirm a pick by scanning the bin or the product",
    description="A code that is no open row's bin or product is recorded and answered 409 `wrong_pick_scan`.",
)
def pick_confirm(request: HttpRequest, pick_list_id: int, payload: PickIn) -> PickResultOut:
    require_perm(request, PICK)
    result = services.pick_confirm(
        pick_list_id=pick_list_id,
        code=payload.code,
        quantity=payload.quantity,
        stock_id=payload.stock_id,
        actor=request.user,
    )
    if not result.accepted:
        raise WrongPickScan(details={"code": result.code, "outcome": result.outcome})
    return PickResultOut(
        accepted=True,
        sku=result.sku,
        bin=result.bin_code,
        units=result.units,
        totes=[PickedUnitsOut(tote=tote, order=order, units=units) for tote, order, units in result.totes],
        pick_list_status=PickList.objects.values_list("status", flat=True).get(pk=pick_list_id),
    )


@pick_lists_router.post(
    "/{pick_list_id}/shorts",
    response=ShortOut,
    summary="Record a short pick (not found): re-allocated elsewhere or backordered",
)
def pick_short(request: HttpRequest, pick_list_id: int, payload: ShortIn) -> ShortOut:
    require_perm(request, PICK)
    result = services.pick_short(
        pick_list_id=pick_list_id,
        stock_id=payload.stock_id,
        found=payload.found,
        reason=payload.reason or "not_found",
        actor=request.user,
    )
    return ShortOut(
        found=result.found,
        short=result.short,
        reallocated=[ReallocatedOut(warehouse=code, quantity=units) for code, units in result.reallocated],
        backordered=result.backordered,
        pick_list_status=PickList.objects.values_list("status", flat=True).get(pk=pick_list_id),
    )


# --- Parcels -----------------------------------------------------------------------------------------------


def parcel_out(parcel: Parcel) -> ParcelOut:
    parcel = selectors.parcel_get(parcel_id=parcel.pk)
    invoice = parcel.order.invoices.order_by("-id").first()
    return ParcelOut(
        id=parcel.pk,
        number=parcel.number,
        order=parcel.order.number,
        warehouse=parcel.warehouse.code,
        sequence=parcel.sequence,
        status=parcel.status,
        suggested_box=parcel.suggested_box.code if parcel.suggested_box else None,
        box=parcel.box.code if parcel.box else None,
        weight_g=parcel.weight_g,
        packed_by=parcel.packed_by.get_username() if parcel.packed_by else None,
        packed_at=parcel.packed_at,
        lines=[
            ParcelLineOut(position=pl.line.position, sku=pl.line.sku, name=pl.line.name, quantity=pl.quantity)
            for pl in sorted(parcel.lines.all(), key=lambda pl: pl.line.position)
        ],
        packing_slip_url=reverse("api-v1:fulfillment_packing_slip", kwargs={"parcel_id": parcel.pk}),
        invoice=InvoiceRefOut(
            number=invoice.number,
            pdf_url=reverse("api-v1:fulfillment_parcel_invoice", kwargs={"parcel_id": parcel.pk}),
        )
        if invoice is not None
        else None,
    )


@parcels_router.post(
    "",
    response={200: ParcelOut, 201: ParcelOut},
    summary="Open a parcel for an order at the packing station (201), or get the one open (200)",
)
def parcel_open(request: HttpRequest, payload: ParcelIn) -> tuple[int, ParcelOut]:
    require_perm(request, PACK)
    order = selectors.order_for_packing(number=payload.order)
    was_open = Parcel.objects.filter(
        order=order, warehouse__code__iexact=payload.warehouse, status="open"
    ).exists()
    parcel = services.parcel_open(order_id=order.pk, warehouse_code=payload.warehouse, actor=request.user)
    return (200 if was_open else 201), parcel_out(parcel)


@parcels_router.get(
    "", response=ParcelsOut, summary="Parcels (e.g. `?status=packed` for shipping), cursor pagination"
)
def parcel_list(
    request: HttpRequest,
    status: str | None = None,
    warehouse: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ParcelsOut:
    require_perm(request, "fulfillment.view_parcel")
    page = keyset_page(
        selectors.parcels_list(status=status, warehouse_code=warehouse), cursor=cursor, limit=limit
    )
    return ParcelsOut(items=[parcel_out(p) for p in page.items], next_cursor=page.next_cursor)


@parcels_router.get("/{parcel_id}", response=ParcelOut, summary="A parcel: box, weight, contents")
def parcel_detail(request: HttpRequest, parcel_id: int) -> ParcelOut:
    require_perm(request, "fulfillment.view_parcel")
    return parcel_out(selectors.parcel_get(parcel_id=parcel_id))


@parcels_router.post(
    "/{parcel_id}/scans",
    response=ScanOut,
    summary="Scan one unit into the parcel",
    description="Refused scans are recorded and answered 409 `wrong_item` (a mis-pick), `too_many` (an over-scan) or `unknown_code`.",
)
def parcel_scan(request: HttpRequest, parcel_id: int, payload: ParcelScanIn) -> ScanOut:
    require_perm(request, PACK)
    result = services.parcel_scan(parcel_id=parcel_id, code=payload.code, actor=request.user)
    if not result.accepted:
        raise SCAN_REFUSALS[result.outcome](
            details={
                "code": result.code,
                "sku": result.sku,
                "expected": result.expected,
                "parcel": result.parcel.number,
            }
        )
    return ScanOut(
        accepted=True,
        outcome=result.outcome,
        sku=result.sku,
        line_position=result.line_position,
        parcel=parcel_out(result.parcel),
    )


@parcels_router.post("/{parcel_id}/pack", response=ParcelOut, summary="Close the parcel: box used and weight")
def parcel_pack(request: HttpRequest, parcel_id: int, payload: PackIn) -> ParcelOut:
    require_perm(request, PACK)
    return parcel_out(
        services.parcel_pack(
            parcel_id=parcel_id, box_code=payload.box, weight_g=payload.weight_g, actor=request.user
        )
    )


@parcels_router.post("/{parcel_id}/cancel", response=ParcelOut, summary="Put an open parcel aside")
def parcel_cancel(request: HttpRequest, parcel_id: int, payload: ParcelReasonIn | None = None) -> ParcelOut:
    require_perm(request, PACK)
    reason = payload.reason if payload else ""
    return parcel_out(services.parcel_cancel(parcel_id=parcel_id, reason=reason, actor=request.user))


@parcels_router.post("/{parcel_id}/reopen", response=ParcelOut, summary="Open a packed parcel again")
def parcel_reopen(request: HttpRequest, parcel_id: int, payload: ParcelReasonIn | None = None) -> ParcelOut:
    require_perm(request, PACK)
    reason = payload.reason if payload else ""
    return parcel_out(services.parcel_reopen(parcel_id=parcel_id, reason=reason, actor=request.user))


@parcels_router.get(
    "/{parcel_id}/packing-slip.pdf",
    url_name="fulfillment_packing_slip",
    summary="The packing slip (PDF, in the customer's language)",
)
def packing_slip(request: HttpRequest, parcel_id: int) -> HttpResponse:
    require_perm(request, "fulfillment.view_parcel")
    parcel = selectors.parcel_get(parcel_id=parcel_id)
    return _pdf(documents.render_packing_slip_pdf(parcel), f"packing-slip-{parcel.number}")


@parcels_router.get(
    "/{parcel_id}/invoice.pdf",
    url_name="fulfillment_parcel_invoice",
    summary="The order's invoice to put in the parcel (bank transfer, or issued on request)",
)
def parcel_invoice(request: HttpRequest, parcel_id: int) -> HttpResponse:
    require_perm(request, "fulfillment.view_parcel")
    parcel = selectors.parcel_get(parcel_id=parcel_id)
    content, number = documents.parcel_invoice_pdf(parcel)
    return _pdf(content, f"invoice-{number}")
