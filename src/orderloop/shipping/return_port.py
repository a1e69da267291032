"""The returns area's shipping port (returns/shipping_port.ReturnShippingPort) through the carrier
adapters: `ORDERLOOP["RETURN_SHIPPING_PORT"] = "orderloop.shipping.return_port.CarrierReturnShipping"`
(the default).

Which carrier (`domain.return_carrier`): a courier pickup goes with our own courier where our couriers go;
a drop-off, a parcel by post (and a courier pickup abroad) with the carrier that delivered the order,
else the destination country's carrier (Nova Poshta in UA, PostNord in SE).

- **Our courier**: a return tracking number of our own (`RT` + the return's id + a Luhn digit, from
  `domain.own_tracking_number` through the courier adapter; `OL…` numbers are the outgoing parcels') and
  our 100×150 mm label. There is no pickup task on the courier's day: a `Shipment` is one outgoing
  packed parcel (one live shipment per parcel), so the pickup is arranged by staff and the parcel is
  received by scanning the label.
- **Nova Poshta**: the carrier's own return service on the waybill that delivered the order
  (`NovaPoshtaCarrier.create_return`): the customer becomes the sender and the shop's return address the
  recipient. The tracking reference is the return order's number; its waybill is looked up when tracking.
  Our label tells the customer which waybill to name at the branch.
- **PostNord**: a return parcel booked with the parties swapped (the customer the consignor, the shop the
  consignee) and the return service (`RETURN_SERVICE_CODE`, 24 Return Drop Off); PostNord's own label.

Where no carrier fits, the carrier is inactive or not configured (no API key: the demo), or the carrier
refuses the booking, the built-in port draws the shop's own label instead (`carrier` empty: no tracking),
so a customer always gets a label. `track` maps the carrier's events through the code tables of
domain.py to "in_transit" / "delivered"; unknown codes, and carriers that fail, give nothing.

Called by the returns services outside any database transaction (the HTTP client refuses otherwise);
reads only (the returns services record what it returns).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orderloop.core.i18n import pick_translation
from orderloop.orders.models import Order
from orderloop.returns import selectors as returns_selectors
from orderloop.returns.errors import ReturnNotFound
from orderloop.returns.models import ReturnRequest
from orderloop.returns.shipping_port import BuiltinReturnShipping, ReturnLabel, ReturnParcel, TrackingUpdate

from . import domain, labels, selectors
from .adapters import adapter_for
from .adapters.base import Address, ShipmentRequest
from .adapters.local import OwnCourierCarrier
from .adapters.nova_poshta import NovaPoshtaCarrier
from .adapters.postnord import PostNordCarrier
from .errors import CarrierError, CarrierNotConfigured
from .models import AdapterKind, Carrier, Shipment

logger = logging.getLogger(__name__)

RETURN_PREFIX = "RT"
DEFAULT_RETURN_WEIGHT_G = 1000  # when the returned variants carry no weight


class ReturnCourier(OwnCourierCarrier):
    """Our courier collecting a return: its own prefix, so a return number never looks like a parcel's."""

    prefix = RETURN_PREFIX


@dataclass(frozen=True)
class ReturnPlan:
    adapter: str  # AdapterKind
    carrier: Carrier
    shipment: Shipment | None  # the parcel of that carrier that delivered the order, if any


def _customer(order: Order) -> Address:
    return Address(
        name=order.customer_name,
        phone=order.customer_phone,
        email=order.customer_email,
        country=order.ship_country,
        city=order.ship_city,
        postal_code=order.ship_postal_code,
        line1=order.ship_line1,
        line2=order.ship_line2,
        region=order.ship_region,
    )


def _shop(rma: ReturnRequest, shipment: Shipment | None) -> Address:
    """The shop's return address for the carrier: `ORDERLOOP["RETURN_ADDRESS"]` (its `name`, `phone`,
    `line1`, `postal_code`, `city`, `country` keys), else the receiving warehouse (or the one the parcel
    left from)."""
    config = settings.ORDERLOOP.get("RETURN_ADDRESS") or {}
    warehouse = rma.warehouse or (shipment.warehouse if shipment is not None else None)

    def pick(key: str, fallback: str) -> str:
        return str(config.get(key) or fallback or "")

    return Address(
        name=pick("name", str(settings.ORDERLOOP.get("SHOP_NAME", ""))),
        phone=pick("phone", str(settings.ORDERLOOP.get("SHOP_PHONE", ""))),
        email=settings.DEFAULT_FROM_EMAIL,
        country=pick("country", warehouse.country if warehouse else rma.order.ship_country),
        city=pick("city", warehouse.city if warehouse else ""),
        postal_code=pick("postal_code", warehouse.postal_code if warehouse else ""),
        line1=pick("line1", warehouse.address_line if warehouse else ""),
    )


def _return_page(rma: ReturnRequest) -> str:
    path = reverse("storefront:return_detail", args=[returns_selectors.return_token(rma.number)])
    return str(settings.ORDERLOOP.get("SITE_URL", "")).rstrip("/") + path


def _carrier_config(code: str) -> dict[str, str]:
    return dict((settings.ORDERLOOP.get("CARRIERS") or {}).get(code) or {})


class CarrierReturnShipping:
    """ReturnShippingPort through the carrier adapters, the built-in label where no carrier can."""

    def __init__(self) -> None:
        self.builtin = BuiltinReturnShipping()

    # --- which carrier ----------------------------------------------------------------------------------

    def plan(self, rma: ReturnRequest) -> ReturnPlan | None:
        """The carrier a return goes back with, or None (the shop's own label)."""
        order = rma.order
        shipments = selectors.order_shipments_for_return(order)
        kind = domain.return_carrier(
            method=rma.method,
            country=order.ship_country,
            delivered_by=[s.carrier.adapter for s in shipments],
            home_country=str(settings.ORDERLOOP.get("DEFAULT_COUNTRY", "")),
        )
        if kind is None:
            return None
        shipment = next((s for s in shipments if s.carrier.adapter == kind), None)
        carrier = (
            shipment.carrier
            if shipment is not None and shipment.carrier.is_active
            else selectors.active_carrier(kind)
        )
        if carrier is None:
            return None
        adapter = ReturnCourier() if kind == AdapterKind.OWN_COURIER else adapter_for(kind)
        if not adapter.configured():
            return None
        return ReturnPlan(adapter=kind, carrier=carrier, shipment=shipment)

    # --- the port ---------------------------------------------------------------------------------------

    def create_return_label(self, parcel: ReturnParcel) -> ReturnLabel:
        if transaction.get_connection().in_atomic_block:
            raise RuntimeError("a carrier must not be called inside a database transaction")
        try:
            rma = returns_selectors.return_by_number(parcel.rma_number)
        except ReturnNotFound:
            return self.builtin.create_return_label(parcel)
        plan = self.plan(rma)
        label: ReturnLabel | None = None
        if plan is not None:
            try:
                with translation.override(parcel.language or settings.LANGUAGE_CODE):
                    if plan.adapter == AdapterKind.OWN_COURIER:
                        label = self._own_courier(plan, rma, parcel)
                    elif plan.adapter == AdapterKind.NOVA_POSHTA:
                        label = self._nova_poshta(plan, rma, parcel)
                    elif plan.adapter == AdapterKind.POSTNORD:
                        label = self._postnord(plan, rma, parcel)
            except (CarrierError, CarrierNotConfigured) as exc:
                logger.warning(
                    "return %s: %s did not book it (%s %s); the shop's own label instead",
                    rma.number,
                    plan.carrier.code,
                    exc.message,
                    exc.details,
                )
                label = None
        return label or self.builtin.create_return_label(parcel)

    def track(self, tracking_ref: str) -> list[TrackingUpdate]:
        rma = returns_selectors.return_for_code(tracking_ref)
        if rma is None or not rma.carrier or rma.tracking_ref != tracking_ref:
            return []
        carrier = selectors.carrier_by_code(rma.carrier)
        if carrier is None:
            return []
        adapter = adapter_for(carrier.adapter)
        if not adapter.remote or not adapter.configured():
            return []
        number = tracking_ref
        try:
            if carrier.adapter == AdapterKind.NOVA_POSHTA and not number.isdigit():
                # A return order: its waybill, once Nova Poshta issued it.
                number = NovaPoshtaCarrier().return_waybill(number)
                if not number:
                    return []
            events = adapter.track([number], phones={number: rma.order.customer_phone})
        except (CarrierError, CarrierNotConfigured) as exc:
            logger.warning("tracking return %s with %s failed: %s", rma.number, carrier.code, exc.message)
            return []
        updates = []
        wanted = domain.normalize_tracking(number)
        for event in events:
            if domain.normalize_tracking(event.tracking_number) != wanted:
                continue
            status = domain.return_tracking_status(carrier.adapter, event.code)
            if status is None:
                continue
            updates.append(
                TrackingUpdate(
                    status=status,
                    at=event.occurred_at or timezone.now(),
                    description=event.description,
                    raw={"code": event.code, "tracking_number": event.tracking_number},
                )
            )
        return updates

    # --- per carrier ------------------------------------------------------------------------------------

    def _request(
        self, rma: ReturnRequest, parcel: ReturnParcel, *, sender: Address, recipient: Address, service: str
    ) -> ShipmentRequest:
        return ShipmentRequest(
            reference=rma.number,
            service_code=service,
            sender=sender,
            recipient=recipient,
            weight_g=parcel.weight_g or DEFAULT_RETURN_WEIGHT_G,
            length_mm=0,
            width_mm=0,
            height_mm=0,
            currency=rma.currency,
            declared_value=Decimal("0"),
            cod_amount=Decimal("0"),
            description=", ".join(parcel.items)[:100] or rma.number,
            ship_date=timezone.localdate(),
            local_id=rma.pk,
        )

    def _label(
        self, plan: ReturnPlan, rma: ReturnRequest, parcel: ReturnParcel, *, number: str, hint: str
    ) -> bytes:
        return labels.render_return_label_pdf(
            labels.ReturnLabelData(
                carrier=pick_translation(plan.carrier.name, plan.carrier.name_translations, parcel.language),
                tracking_number=number,
                rma_number=rma.number,
                order_number=parcel.order_number,
                recipient=parcel.recipient,
                sender=tuple(line for line in (*parcel.sender, parcel.sender_phone) if line),
                link=_return_page(rma),
                weight_g=parcel.weight_g or DEFAULT_RETURN_WEIGHT_G,
                hint=hint,
                language=parcel.language,
                items=parcel.items,
            )
        )

    def _own_courier(self, plan: ReturnPlan, rma: ReturnRequest, parcel: ReturnParcel) -> ReturnLabel:
        request = self._request(
            rma,
            parcel,
            sender=_customer(rma.order),
            recipient=_shop(rma, plan.shipment),
            service="return_pickup",
        )
        booked = ReturnCourier().create_shipment(request)
        hint = _("Our courier collects this parcel from you: pack the items and stick this label on it.")
        pdf = self._label(plan, rma, parcel, number=booked.tracking_number, hint=hint)
        return ReturnLabel(tracking_ref=booked.tracking_number, carrier=plan.carrier.code, pdf=pdf)

    def _nova_poshta(self, plan: ReturnPlan, rma: ReturnRequest, parcel: ReturnParcel) -> ReturnLabel | None:
        if plan.shipment is None:
            # Nova Poshta returns a waybill it delivered; this order came another way.
            return None
        waybill = plan.shipment.tracking_number
        booked = NovaPoshtaCarrier().create_return(waybill=waybill, note=rma.number)
        hint = _(
            "Take the parcel to any Nova Poshta branch and name waybill %(waybill)s: its return to us is "
            "booked."
        ) % {"waybill": waybill}
        pdf = self._label(plan, rma, parcel, number=booked.tracking_number, hint=hint)
        return ReturnLabel(tracking_ref=booked.tracking_number, carrier=plan.carrier.code, pdf=pdf)

    def _postnord(self, plan: ReturnPlan, rma: ReturnRequest, parcel: ReturnParcel) -> ReturnLabel:
        service = _carrier_config("postnord").get("RETURN_SERVICE_CODE") or "24"
        request = self._request(
            rma,
            parcel,
            sender=_customer(rma.order),
            recipient=_shop(rma, plan.shipment),
            service=str(service),
        )
        booked = PostNordCarrier().create_shipment(request)
        pdf = booked.label_pdf or self._label(
            plan,
            rma,
            parcel,
            number=booked.tracking_number,
            hint=_("Stick this label on the parcel and drop it off at any PostNord service point."),
        )
        return ReturnLabel(tracking_ref=booked.tracking_number, carrier=plan.carrier.code, pdf=pdf)
