"""Shipping pages: the shipping desk (labels for packed parcels, a wave's labels in one PDF, handover
by scanning the label, today's manifests), a shipment's page, the courier's deliveries, cash
reconciliation and pickup points. As thin as api.py: parse a form, call one service or selector,
render or redirect. Every form works without JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from orderloop.core.errors import DomainError
from orderloop.core.redirects import safe_next
from orderloop.fulfillment.models import Wave
from orderloop.inventory.models import Warehouse
from orderloop.orders.promise import route_day

from . import labels, selectors, services
from .models import AdapterKind, Carrier, CarrierService, FailureReason, ShipmentStatus

VIEW = "shipping.view_shipment"
MANAGE = services.MANAGE
DELIVER = services.DELIVER
RECONCILE = services.RECONCILE


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _error(request: HttpRequest, exc: DomainError) -> None:
    details = "; ".join(str(v) for v in exc.details.values() if isinstance(v, str))
    messages.error(request, f"{exc.message} {details}".strip())


def _warehouse(request: HttpRequest) -> Warehouse | None:
    code = request.GET.get("warehouse") or request.session.get("shipping_warehouse")
    queryset = Warehouse.objects.filter(is_active=True).order_by("priority", "code")
    found = (queryset.filter(code=code).first() if code else None) or queryset.first()
    if found is not None:
        request.session["shipping_warehouse"] = found.code
    return found


def couriers() -> list[Any]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name="Courier")
        .distinct()
        .order_by("username")
    )
    return list(users)


# --- The desk --------------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def desk(request: HttpRequest) -> HttpResponse:
    warehouse = _warehouse(request)
    return render(
        request,
        "shipping/desk.html",
        {
            "warehouse": warehouse,
            "warehouses": Warehouse.objects.filter(is_active=True).order_by("priority", "code"),
            "to_label": services.parcels_to_ship(warehouse_id=warehouse.pk) if warehouse else [],
            "to_hand_over": list(
                selectors.ready_to_hand_over(warehouse_id=warehouse.pk if warehouse else None)[:200]
            ),
            "drafts": list(selectors.shipments_list(status=ShipmentStatus.DRAFT)[:50]),
            "attention": list(selectors.shipments_list(attention=True)[:50]),
            "manifests": selectors.manifests_recent(day=timezone.localdate()),
            "waves": Wave.objects.filter(warehouse=warehouse).order_by("-id")[:10] if warehouse else [],
            "couriers": couriers(),
            "today": timezone.localdate(),
            "service_choices": CarrierService.objects.filter(is_active=True, carrier__is_active=True)
            .select_related("carrier")
            .order_by("carrier__sort_order", "code"),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def label_create(request: HttpRequest) -> HttpResponse:
    try:
        parcel_id = int(request.POST.get("parcel", ""))
    except ValueError:
        messages.error(request, _("Choose a parcel."))
        return redirect("shipping:desk")
    try:
        shipment = services.shipment_create_and_book(
            parcel_id=parcel_id, actor=request.user, service_key=request.POST.get("service", "")
        )
    except DomainError as exc:
        _error(request, exc)
        return redirect("shipping:desk")
    messages.success(request, _("Label created: %(number)s.") % {"number": shipment.tracking_number})
    return redirect("shipping:shipment", shipment_id=shipment.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def wave_labels(request: HttpRequest) -> HttpResponse:
    try:
        wave_id = int(request.POST.get("wave", ""))
    except ValueError:
        messages.error(request, _("Choose a wave."))
        return redirect("shipping:desk")
    result = services.shipments_create_for_wave(wave_id=wave_id, actor=request.user)
    for parcel, _code, message in result.failed:
        messages.error(request, _("Parcel %(parcel)s: %(message)s") % {"parcel": parcel, "message": message})
    if not result.shipments:
        messages.info(request, _("No parcel of this wave is waiting for a label."))
        return redirect("shipping:desk")
    count = len(result.shipments)
    messages.success(request, ngettext("%(n)s label created.", "%(n)s labels created.", count) % {"n": count})
    ids = ",".join(str(s.pk) for s in result.shipments)
    return redirect(f"{reverse('shipping:labels_pdf')}?ids={ids}")


@login_required
@permission_required(MANAGE, raise_exception=True)
def labels_pdf(request: HttpRequest) -> HttpResponse:
    wanted = [int(p) for p in request.GET.get("ids", "").split(",") if p.strip().isdigit()]
    found = {s.pk: s for s in selectors.shipments_list().filter(pk__in=wanted)}
    return _pdf(labels.render_labels_pdf([found[i] for i in wanted if i in found]), "labels")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def hand_over(request: HttpRequest) -> HttpResponse:
    """Scan the label (or press the row's button): the parcel leaves with its carrier."""
    code = request.POST.get("code", "")
    try:
        delivery = parse_date(request.POST.get("delivery_date", "") or "")
        shipment_id = int(request.POST.get("shipment", "0") or 0)
    except ValueError:
        messages.error(request, _("Scan the label or choose a shipment and a valid day."))
        return redirect("shipping:desk")
    try:
        shipment = (
            services.shipment_by_code(code) if code else selectors.shipment_get(shipment_id=shipment_id)
        )
        services.shipment_hand_over(
            shipment_id=shipment.pk,
            actor=request.user,
            courier_username=request.POST.get("courier", ""),
            delivery_date=delivery,
        )
    except DomainError as exc:
        _error(request, exc)
        return redirect(safe_next(request, request.POST.get("next"), reverse("shipping:desk")))
    messages.success(request, _("Handed over: %(number)s.") % {"number": shipment.tracking_number})
    return redirect(safe_next(request, request.POST.get("next"), reverse("shipping:desk")))


@login_required
@permission_required("shipping.view_manifest", raise_exception=True)
def manifest_pdf(request: HttpRequest, manifest_id: int) -> HttpResponse:
    manifest = selectors.manifest_get(manifest_id=manifest_id)
    return _pdf(labels.render_manifest_pdf(manifest), manifest.number)


# --- One shipment ----------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment(request: HttpRequest, shipment_id: int) -> HttpResponse:
    found = selectors.shipment_get(shipment_id=shipment_id)
    return render(
        request,
        "shipping/shipment.html",
        {
            "shipment": found,
            "events": selectors.shipment_events(found),
            "couriers": couriers(),
            "reasons": FailureReason.choices,
            "today": timezone.localdate(),
            "route_day": route_day(found.order, timezone.localdate()),
            "is_own_courier": found.carrier.adapter == AdapterKind.OWN_COURIER,
            "is_store": found.carrier.adapter == AdapterKind.STORE_PICKUP,
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def shipment_label(request: HttpRequest, shipment_id: int) -> HttpResponse:
    found = selectors.shipment_get(shipment_id=shipment_id)
    return _pdf(labels.render_label_pdf(found), f"label-{found.tracking_number or found.pk}")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def shipment_action(request: HttpRequest, shipment_id: int, action: str) -> HttpResponse:
    try:
        if action == "book":
            services.shipment_book(shipment_id=shipment_id, actor=request.user)
        elif action == "cancel":
            services.shipment_cancel(
                shipment_id=shipment_id, actor=request.user, reason=request.POST.get("reason", "")
            )
        elif action == "refresh":
            services.shipment_refresh(shipment_id=shipment_id)
        elif action == "ready":
            services.pickup_mark_ready(shipment_id=shipment_id, actor=request.user)
        elif action == "delivered":
            services.delivery_mark_delivered(
                shipment_id=shipment_id, actor=request.user, cash_collected=request.POST.get("cash_collected")
            )
        elif action == "failed":
            services.delivery_mark_failed(
                shipment_id=shipment_id,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        elif action == "acknowledge":
            services.shipment_acknowledge(shipment_id=shipment_id, actor=request.user)
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        _error(request, exc)
    return redirect("shipping:shipment", shipment_id=shipment_id)


# --- The courier ---------------------------------------------------------------------------------------


def _day(request: HttpRequest) -> date:
    try:
        return parse_date(request.GET.get("date", "") or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
@permission_required(DELIVER, raise_exception=True)
def courier(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    deliveries = selectors.courier_deliveries(courier=request.user, day=day)
    return render(
        request,
        "shipping/courier.html",
        {
            "day": day,
            "deliveries": deliveries,
            "reasons": FailureReason.choices,
            "open_statuses": [
                s.value
                for s in ShipmentStatus
                if s.value
                in {
                    "handed_over",
                    "in_transit",
                    "at_hub",
                    "out_for_delivery",
                    "failed_attempt",
                    "ready_for_pickup",
                }
            ],
            "cash_total": sum((d.collected or 0) for d in deliveries),
        },
    )


@login_required
@permission_required(DELIVER, raise_exception=True)
@require_POST
def courier_action(request: HttpRequest, shipment_id: int, action: str) -> HttpResponse:
    """Delivered (with the cash) or failed (with a reason) — a courier can do nothing else."""
    try:
        if action == "delivered":
            services.delivery_mark_delivered(
                shipment_id=shipment_id, actor=request.user, cash_collected=request.POST.get("cash_collected")
            )
            messages.success(request, _("Marked delivered."))
        elif action == "failed":
            services.delivery_mark_failed(
                shipment_id=shipment_id,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
            messages.info(request, _("Marked failed."))
        elif action == "cash":
            services.delivery_record_cash(
                shipment_id=shipment_id, actor=request.user, amount=request.POST.get("amount", "")
            )
            messages.success(request, _("Cash recorded."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        _error(request, exc)
    return redirect(
        reverse("shipping:courier") + (f"?date={request.POST['date']}" if request.POST.get("date") else "")
    )


# --- Cash on delivery ----------------------------------------------------------------------------------


@login_required
@permission_required(services.COD_READ, raise_exception=True)
def cod(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    if request.method == "POST":
        if not request.user.has_perm(RECONCILE):
            raise PermissionDenied
        try:
            services.cod_handover_record(
                courier_username=request.POST.get("courier", ""),
                day=day,
                currency=request.POST.get("currency", ""),
                amount=request.POST.get("amount", ""),
                actor=request.user,
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("Cash handed in recorded."))
        except DomainError as exc:
            _error(request, exc)
        return redirect(f"{reverse('shipping:cod')}?date={day.isoformat()}")
    return render(request, "shipping/cod.html", {"day": day, "rows": selectors.cod_reconciliation(day=day)})


# --- Pickup points ---------------------------------------------------------------------------------------


@login_required
@permission_required("shipping.view_pickuppoint", raise_exception=True)
def pickup_points(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm(services.IMPORT_POINTS):
            messages.error(request, _("Your role does not allow this action."))
            return redirect("shipping:pickup_points")
        try:
            result = services.pickup_points_import(
                carrier_code=request.POST.get("carrier", ""),
                country=request.POST.get("country", "UA"),
                city=request.POST.get("city", ""),
                postal_code=request.POST.get("postal_code", ""),
                actor=request.user,
            )
            messages.success(
                request,
                _("Imported: %(created)s new, %(updated)s updated, %(deactivated)s no longer listed.")
                % {"created": result.created, "updated": result.updated, "deactivated": result.deactivated},
            )
        except DomainError as exc:
            _error(request, exc)
        return redirect("shipping:pickup_points")
    carrier = request.GET.get("carrier", "")
    city = request.GET.get("city", "")[:100]
    points = selectors.pickup_points_search(carrier_code=carrier, city=city)
    return render(
        request,
        "shipping/pickup_points.html",
        {
            "points": points[:300],
            "count": points.count(),
            "carrier": carrier,
            "city": city,
            "carriers": Carrier.objects.filter(adapter__in=[AdapterKind.NOVA_POSHTA, AdapterKind.POSTNORD]),
        },
    )
