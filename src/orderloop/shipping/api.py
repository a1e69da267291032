"""Shipping API: carriers and pickup points (/shipping), shipments (/shipments), manifests
(/manifests), the courier's deliveries (/courier), cash reconciliation (/cod) and the carriers'
webhooks (/shipping/webhooks/{carrier}, signature-verified, no token). Each handler checks the role,
parses, calls one service or selector and shapes the answer."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from orderloop.core.api_auth import require_perm
from orderloop.core.errors import InvalidInput
from orderloop.orders.promise import delivery_promise

from . import labels, selectors, services
from .adapters import adapter_for
from .models import Shipment
from .schemas import (
    BatchFailureOut,
    BatchIn,
    BatchOut,
    CarrierOut,
    CarrierWebhookOut,
    CashIn,
    CashOut,
    CodDayOut,
    CodHandoverIn,
    DeliveredIn,
    DeliveryOut,
    FailedIn,
    HandOverIn,
    ManifestOut,
    PickupPointImportIn,
    PickupPointImportOut,
    PickupPointOut,
    PickupPointsOut,
    RateOut,
    RouteIn,
    ServiceOut,
    ShipmentIn,
    ShipmentOut,
    ShipmentReasonIn,
    ShipmentsOut,
    TrackingEventOut,
)

shipping_router = Router(tags=["shipping"])
shipments_router = Router(tags=["shipping"])
manifests_router = Router(tags=["shipping"])
courier_router = Router(tags=["shipping"])
cod_router = Router(tags=["shipping"])
webhooks_router = Router(tags=["shipping"], auth=None)

VIEW = "shipping.view_shipment"
MANAGE = services.MANAGE
DELIVER = services.DELIVER
RECONCILE = services.RECONCILE


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def shipment_out(shipment: Shipment, *, events: bool = True) -> ShipmentOut:
    return ShipmentOut(
        id=shipment.pk,
        order=shipment.order.number,
        parcel=shipment.parcel.number,
        warehouse=shipment.warehouse.code,
        carrier=shipment.carrier.code,
        service=f"{shipment.carrier.code}.{shipment.service.code}",
        status=shipment.status,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        pickup_point=shipment.pickup_point_id,
        weight_g=shipment.weight_g,
        cod_amount=str(shipment.cod_amount),
        currency=shipment.currency,
        estimated_delivery=shipment.estimated_delivery,
        courier=shipment.courier.get_username() if shipment.courier else None,
        delivery_date=shipment.delivery_date,
        manifest=shipment.manifest_id,
        needs_attention=shipment.needs_attention,
        last_error=shipment.last_error,
        label_url=reverse("api-v1:shipment_label", args=[shipment.pk]),
        events=[
            TrackingEventOut(
                status=e.status,
                carrier_code=e.carrier_code,
                description=e.description,
                location=e.location,
                source=e.source,
                is_unknown=e.is_unknown,
                applied=e.applied,
                occurred_at=e.occurred_at,
            )
            for e in selectors.shipment_events(shipment)
        ]
        if events
        else [],
    )


# --- Carriers and pickup points ------------------------------------------------------------------------


@shipping_router.get("/carriers", response=list[CarrierOut], summary="Carriers and their services")
def carriers(request: HttpRequest) -> list[CarrierOut]:
    require_perm(request, VIEW)
    return [
        CarrierOut(
            code=c.code,
            name=c.name,
            adapter=c.adapter,
            configured=adapter_for(c.adapter).configured(),
            services=[
                ServiceOut(
                    key=f"{c.code}.{s.code}",
                    code=s.code,
                    name=s.name,
                    kind=s.kind,
                    carrier_code=s.carrier_code,
                )
                for s in c.services.all()
                if s.is_active
            ],
        )
        for c in selectors.carriers()
    ]


@shipping_router.get("/pickup-points", response=PickupPointsOut, summary="Imported pickup points")
def pickup_points(
    request: HttpRequest, carrier: str = "", country: str = "", city: str = "", q: str = "", limit: int = 100
) -> PickupPointsOut:
    require_perm(request, "shipping.view_pickuppoint")
    if not 1 <= limit <= 1000:
        raise InvalidInput(details={"limit": _("Must be between 1 and %(n)s.") % {"n": 1000}})
    points = selectors.pickup_points_search(carrier_code=carrier, country=country, city=city, query=q[:100])
    return PickupPointsOut(
        count=points.count(),
        items=[
            PickupPointOut(
                id=p.pk,
                carrier=p.carrier.code,
                external_id=p.external_id,
                number=p.number,
                name=p.name,
                label=p.label,
                address=p.address,
                city=p.city,
                postal_code=p.postal_code,
                country=p.country,
                opening_hours=p.opening_hours,
            )
            for p in points[:limit]
        ],
    )


@shipping_router.post(
    "/pickup-points/import", response=PickupPointImportOut, summary="Import a carrier's pickup points"
)
def pickup_points_import(request: HttpRequest, payload: PickupPointImportIn) -> PickupPointImportOut:
    require_perm(request, services.IMPORT_POINTS)
    result = services.pickup_points_import(
        carrier_code=payload.carrier,
        country=payload.country,
        city=payload.city,
        postal_code=payload.postal_code,
        actor=request.user,
    )
    return PickupPointImportOut(
        created=result.created, updated=result.updated, deactivated=result.deactivated
    )


@shipping_router.get(
    "/rates", response=list[RateOut], summary="Price and expected date of each service for a parcel"
)
def rates(request: HttpRequest, parcel: int) -> list[RateOut]:
    require_perm(request, MANAGE)
    return [
        RateOut(
            service=f"{r.service.carrier.code}.{r.service.code}",
            name=r.service.name,
            cost=str(r.rate.cost) if r.rate and r.rate.cost is not None else None,
            currency=r.rate.currency if r.rate else "",
            estimated_delivery=r.rate.estimated_delivery if r.rate else None,
            error=r.error,
        )
        for r in services.parcel_rates(parcel_id=parcel)
    ]


# --- Shipments -------------------------------------------------------------------------------------------


@shipments_router.get("", response=ShipmentsOut, summary="Shipments (newest first)")
def shipments(
    request: HttpRequest,
    status: str = "",
    carrier: str = "",
    order: str = "",
    warehouse: str = "",
    attention: bool = False,
    limit: int = 100,
) -> ShipmentsOut:
    require_perm(request, VIEW)
    if not 1 <= limit <= 500:
        raise InvalidInput(details={"limit": _("Must be between 1 and %(n)s.") % {"n": 500}})
    found = selectors.shipments_list(
        status=status, carrier_code=carrier, order_number=order, warehouse_code=warehouse, attention=attention
    )
    return ShipmentsOut(count=found.count(), items=[shipment_out(s, events=False) for s in found[:limit]])


@shipments_router.post("", response={201: ShipmentOut}, summary="Create the label of a packed parcel")
def shipment_create(request: HttpRequest, payload: ShipmentIn) -> tuple[int, ShipmentOut]:
    require_perm(request, MANAGE)
    shipment = services.shipment_create_and_book(
        parcel_id=payload.parcel,
        actor=request.user,
        service_key=payload.service,
        pickup_point_id=payload.pickup_point,
    )
    return 201, shipment_out(selectors.shipment_get(shipment_id=shipment.pk))


@shipments_router.post("/batch", response=BatchOut, summary="Labels for every packed parcel of a wave")
def shipments_batch(request: HttpRequest, payload: BatchIn) -> BatchOut:
    require_perm(request, MANAGE)
    result = services.shipments_create_for_wave(wave_id=payload.wave, actor=request.user)
    ids = ",".join(str(s.pk) for s in result.shipments)
    return BatchOut(
        shipments=[
            shipment_out(selectors.shipment_get(shipment_id=s.pk), events=False) for s in result.shipments
        ],
        failed=[BatchFailureOut(parcel=p, code=c, message=m) for p, c, m in result.failed],
        labels_url=f"{reverse('api-v1:shipment_labels')}?ids={ids}",
    )


@shipments_router.get(
    "/labels.pdf", url_name="shipment_labels", summary="Labels of several shipments, one PDF"
)
def shipments_labels(request: HttpRequest, ids: str) -> HttpResponse:
    require_perm(request, MANAGE)
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInput(details={"ids": _("Comma-separated shipment ids.")}) from exc
    found = {s.pk: s for s in selectors.shipments_list().filter(pk__in=wanted)}
    return _pdf(labels.render_labels_pdf([found[i] for i in wanted if i in found]), "labels")


@shipments_router.get("/{shipment_id}", response=ShipmentOut, summary="One shipment with its events")
def shipment_detail(request: HttpRequest, shipment_id: int) -> ShipmentOut:
    require_perm(request, VIEW)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.get(
    "/{shipment_id}/label.pdf", url_name="shipment_label", summary="The parcel's label (100×150 mm)"
)
def shipment_label(request: HttpRequest, shipment_id: int) -> HttpResponse:
    require_perm(request, MANAGE)
    shipment = selectors.shipment_get(shipment_id=shipment_id)
    return _pdf(labels.render_label_pdf(shipment), f"label-{shipment.tracking_number or shipment.pk}")


@shipments_router.post(
    "/{shipment_id}/book", response=ShipmentOut, summary="Ask the carrier again for a draft"
)
def shipment_book(request: HttpRequest, shipment_id: int) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.shipment_book(shipment_id=shipment_id, actor=request.user)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.post("/{shipment_id}/cancel", response=ShipmentOut, summary="Cancel before handover")
def shipment_cancel(request: HttpRequest, shipment_id: int, payload: ShipmentReasonIn) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.shipment_cancel(shipment_id=shipment_id, actor=request.user, reason=payload.reason)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.post(
    "/{shipment_id}/hand-over", response=ShipmentOut, summary="Hand the parcel to the carrier"
)
def shipment_hand_over(request: HttpRequest, shipment_id: int, payload: HandOverIn) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.shipment_hand_over(
        shipment_id=shipment_id,
        actor=request.user,
        courier_username=payload.courier,
        delivery_date=payload.delivery_date,
    )
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.post(
    "/{shipment_id}/refresh", response=ShipmentOut, summary="Poll the carrier's tracking now"
)
def shipment_refresh(request: HttpRequest, shipment_id: int) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.shipment_refresh(shipment_id=shipment_id)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.post(
    "/{shipment_id}/ready-for-pickup", response=ShipmentOut, summary="Store pickup: waiting at the counter"
)
def shipment_ready(request: HttpRequest, shipment_id: int) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.pickup_mark_ready(shipment_id=shipment_id, actor=request.user)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


@shipments_router.post(
    "/{shipment_id}/route-position", response=ShipmentOut, summary="Place a delivery in the courier's route"
)
def shipment_route_position(request: HttpRequest, shipment_id: int, payload: RouteIn) -> ShipmentOut:
    require_perm(request, MANAGE)
    services.route_set_position(shipment_id=shipment_id, position=payload.position, actor=request.user)
    return shipment_out(selectors.shipment_get(shipment_id=shipment_id))


def _may_close(request: HttpRequest) -> None:
    if not (request.user.has_perm(MANAGE) or request.user.has_perm(DELIVER)):
        require_perm(request, DELIVER)


@shipments_router.post(
    "/{shipment_id}/delivered", response=ShipmentOut, summary="Delivered (courier: own deliveries only)"
)
def shipment_delivered(request: HttpRequest, shipment_id: int, payload: DeliveredIn) -> ShipmentOut:
    _may_close(request)
    shipment = services.delivery_mark_delivered(
        shipment_id=shipment_id, actor=request.user, cash_collected=payload.cash_collected
    )
    return shipment_out(selectors.shipment_get(shipment_id=shipment.pk), events=request.user.has_perm(VIEW))


@shipments_router.post(
    "/{shipment_id}/failed", response=ShipmentOut, summary="Delivery failed, with a reason"
)
def shipment_failed(request: HttpRequest, shipment_id: int, payload: FailedIn) -> ShipmentOut:
    _may_close(request)
    shipment = services.delivery_mark_failed(
        shipment_id=shipment_id, actor=request.user, reason=payload.reason, note=payload.note
    )
    return shipment_out(selectors.shipment_get(shipment_id=shipment.pk), events=request.user.has_perm(VIEW))


@shipments_router.post(
    "/{shipment_id}/cash", response={201: CashOut}, summary="Cash collected for a delivered parcel"
)
def shipment_cash(request: HttpRequest, shipment_id: int, payload: CashIn) -> tuple[int, CashOut]:
    _may_close(request)
    row = services.delivery_record_cash(shipment_id=shipment_id, actor=request.user, amount=payload.amount)
    shipment = selectors.shipment_get(shipment_id=shipment_id)
    return 201, CashOut(
        shipment=shipment_id,
        amount=str(row.amount if row else shipment.cod_amount),
        currency=shipment.currency,
        date=row.date if row else timezone.localdate(),
    )


# --- Manifests -------------------------------------------------------------------------------------------


def manifest_out(manifest: object) -> ManifestOut:
    from .models import Manifest

    assert isinstance(manifest, Manifest)
    return ManifestOut(
        id=manifest.pk,
        number=manifest.number,
        carrier=manifest.carrier.code,
        warehouse=manifest.warehouse.code,
        date=manifest.date,
        parcels=manifest.shipments.count(),
        pdf_url=reverse("api-v1:manifest_pdf", args=[manifest.pk]),
    )


@manifests_router.get(
    "", response=list[ManifestOut], summary="Handoff manifests (one per carrier, warehouse and day)"
)
def manifests(request: HttpRequest, date: date | None = None) -> list[ManifestOut]:
    require_perm(request, "shipping.view_manifest")
    return [manifest_out(m) for m in selectors.manifests_recent(day=date)]


@manifests_router.get("/{manifest_id}/pdf", url_name="manifest_pdf", summary="The printable manifest")
def manifest_pdf(request: HttpRequest, manifest_id: int) -> HttpResponse:
    require_perm(request, "shipping.view_manifest")
    manifest = selectors.manifest_get(manifest_id=manifest_id)
    return _pdf(labels.render_manifest_pdf(manifest), manifest.number)


# --- Courier and cash ----------------------------------------------------------------------------------


@courier_router.get(
    "/deliveries", response=list[DeliveryOut], summary="My deliveries of a day, in route order"
)
def courier_deliveries(request: HttpRequest, date: date | None = None) -> list[DeliveryOut]:
    require_perm(request, DELIVER)
    return [
        DeliveryOut(
            position=d.position,
            shipment=d.shipment.pk,
            order=d.order.number,
            tracking_number=d.shipment.tracking_number,
            status=d.shipment.status,
            name=d.order.customer_name,
            phone=d.order.customer_phone,
            address=", ".join(
                p
                for p in (d.order.ship_line1, d.order.ship_line2, d.order.ship_postal_code, d.order.ship_city)
                if p
            ),
            time_from=d.order.preferred_time_from.strftime("%H:%M") if d.order.preferred_time_from else None,
            time_to=d.order.preferred_time_to.strftime("%H:%M") if d.order.preferred_time_to else None,
            promised_date=delivery_promise(d.order).day,
            cod_due=str(d.cod_due),
            currency=d.shipment.currency,
        )
        for d in selectors.courier_deliveries(courier=request.user, day=date or timezone.localdate())
    ]


def cod_day_out(row: selectors.CodDay) -> CodDayOut:
    return CodDayOut(
        courier=row.courier.get_username(),
        date=row.date,
        currency=row.currency,
        deliveries=row.deliveries,
        delivered=row.delivered,
        expected=str(row.expected),
        collected=str(row.collected),
        handed_in=None if row.handed_in is None else str(row.handed_in),
        difference=None if row.difference is None else str(row.difference),
        reconciled=row.reconciled,
    )


@cod_router.get("/reconciliation", response=list[CodDayOut], summary="Cash on delivery per courier for a day")
def cod_reconciliation(request: HttpRequest, date: date | None = None) -> list[CodDayOut]:
    require_perm(request, services.COD_READ)
    return [cod_day_out(r) for r in selectors.cod_reconciliation(day=date or timezone.localdate())]


@cod_router.post("/handovers", response={201: CodDayOut}, summary="Record the cash a courier handed in")
def cod_handover(request: HttpRequest, payload: CodHandoverIn) -> tuple[int, CodDayOut]:
    require_perm(request, RECONCILE)
    services.cod_handover_record(
        courier_username=payload.courier,
        day=payload.date,
        currency=payload.currency.upper(),
        amount=payload.amount,
        actor=request.user,
        note=payload.note,
    )
    row = next(
        r
        for r in selectors.cod_reconciliation(day=payload.date)
        if r.courier.get_username() == payload.courier and r.currency == payload.currency.upper()
    )
    return 201, cod_day_out(row)


# --- Webhooks ------------------------------------------------------------------------------------------


@webhooks_router.post(
    "/webhooks/{carrier}",
    response={200: CarrierWebhookOut},
    summary="A carrier's tracking webhook (signature-verified, no token)",
    description=(
        "Signed with the carrier's shared secret: `X-Orderloop-Signature: sha256=<hex HMAC-SHA256 of the body>`, "
        "or with `X-Orderloop-Timestamp: <Unix seconds>` of `<timestamp>.<body>` (then the time must be within "
        "WEBHOOK_TOLERANCE_SECONDS). A bad signature or a stale timestamp is a 400 and changes nothing. Each "
        "delivery (what was signed) is taken once: a replay answers `replayed: true` and changes nothing; "
        "a repeated event within a new delivery is counted as a duplicate."
    ),
    # The raw body is read (the signature covers its bytes), so it is documented by hand.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "The carrier's event document, as it sends it.",
                    }
                }
            },
        }
    },
)
def webhook(request: HttpRequest, carrier: str) -> CarrierWebhookOut:
    result = services.webhook_receive(carrier_code=carrier, payload=request.body, headers=request.headers)
    return CarrierWebhookOut(
        received=True,
        applied=result.applied,
        recorded=result.recorded,
        duplicates=result.duplicates,
        unknown_codes=result.unknown_codes,
        unknown_shipments=result.unknown_shipments,
        replayed=result.replayed,
    )
