"""Customer emails rendered from templates, in the customer's language: subject, plain text and HTML.

A message queued without a body (`CustomerMessage.kind` names the email) is rendered here by the
sending task, outside the placing transaction; what was rendered is stored on the row when sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from orderloop.core.i18n import pick_translation
from orderloop.core.money import babel_locale, format_money
from orderloop.inventory.selectors import country_choices
from orderloop.orders.links import order_pay_url, tracking_url
from orderloop.orders.models import Order, PaymentKind
from orderloop.orders.promise import delivery_promise, promise_text
from orderloop.payments import selectors as payments
from orderloop.payments.invoices import render_invoice_pdf
from orderloop.shipping.selectors import latest_delivery_failure, order_shipments_for_customer

ORDER_CONFIRMATION = "order_confirmation"


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    # (filename, content, mimetype)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def local_date(value: date | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return format_date(value, format="long", locale=babel_locale(language))


def preferred_window(order: Order, language: str | None = None) -> str:
    """The customer's preferred delivery day and hours, e.g. "15 December 2026, 10:00–14:00"."""
    if order.preferred_date is None:
        return ""
    locale = babel_locale(language)
    day = local_date(order.preferred_date, language)
    start, end = (
        format_time(value, format="short", locale=locale) if value is not None else ""
        for value in (order.preferred_time_from, order.preferred_time_to)
    )
    if start and end:
        return f"{day}, {start}–{end}"
    if start:
        return translation.gettext("%(day)s, from %(time)s") % {"day": day, "time": start}
    if end:
        return translation.gettext("%(day)s, until %(time)s") % {"day": day, "time": end}
    return day


def _address_lines(order: Order) -> list[str]:
    countries = dict(country_choices())
    city = " ".join(part for part in (order.ship_postal_code, order.ship_city) if part)
    return [
        part
        for part in (
            order.customer_name,
            order.ship_line1,
            order.ship_line2,
            city,
            order.ship_region,
            countries.get(order.ship_country, order.ship_country),
        )
        if part
    ]


def order_summary(order: Order, language: str) -> dict[str, Any]:
    """What a customer sees of an order (email, follow-the-order page), formatted for `language`."""

    def money(amount: Decimal) -> str:
        return format_money(amount, order.currency, language)

    lines = []
    for line in order.lines.select_related("variant__product").order_by("position"):
        product = line.variant.product
        lines.append(
            {
                "name": pick_translation(line.name, product.name_translations, language),
                "sku": line.sku,
                "attributes": " / ".join(str(v) for v in (line.attributes or {}).values()),
                "quantity": line.quantity,
                "unit_price": money(line.unit_price_amount),
                "total": money(line.unit_price_amount * line.quantity),
                "note": line.note,
                "is_gift": line.is_gift,
                "backordered": line.quantity_backordered,
            }
        )
    overview = payments.payment_overview(order_id=order.pk)
    kind = order.payment_method.kind
    invoice = overview.invoice
    return {
        "order": order,
        "overview": overview,
        "shop_name": settings.ORDERLOOP.get("SHOP_NAME", ""),
        "shop_phone": settings.ORDERLOOP.get("SHOP_PHONE", ""),
        "lines": lines,
        "subtotal": money(order.subtotal_amount),
        "discount": money(order.discount_amount) if order.discount_amount else "",
        "coupon_code": order.coupon_code,
        "delivery_price": money(order.delivery_amount),
        "total": money(order.total_amount),
        "delivery_method": pick_translation(
            order.delivery_method.name, order.delivery_method.name_translations, language
        ),
        "payment_method": pick_translation(
            order.payment_method.name, order.payment_method.name_translations, language
        ),
        "payment_kind": kind,
        "address_lines": _address_lines(order),
        # The delivery promise (orders/promise.py): the day and the customer's hours, as every place says.
        "promised_date": promise_text(delivery_promise(order), language),
        "preferred_date": local_date(order.preferred_date, language),
        "preferred_window": preferred_window(order, language),
        # Paid in full (a later refund does not make cash on delivery due again).
        "paid": overview.state == "paid" or overview.sums.captured >= overview.sums.total,
        "due_now": money(overview.due_now) if overview.due_now > 0 else "",
        "prepayment": money(overview.prepayment) if kind == PaymentKind.PREPAYMENT else "",
        "cash_on_delivery": money(max(order.total_amount - overview.prepayment, Decimal(0)))
        if kind == PaymentKind.PREPAYMENT
        else (money(order.total_amount) if kind == PaymentKind.COD else ""),
        "bank": payments.bank_details()
        if kind in {PaymentKind.BANK_TRANSFER, PaymentKind.PREPAYMENT}
        else None,
        "payment_reference": overview.payment_reference,
        "invoice_number": invoice.number if invoice else "",
        "invoice_due": local_date(invoice.due_date, language) if invoice else "",
        "is_card": kind == PaymentKind.CARD,
    }


def _order_confirmation(order: Order, language: str) -> RenderedEmail:
    context = order_summary(order, language)
    context["tracking_url"] = tracking_url(order)
    context["pay_url"] = (
        order_pay_url(order) if context["due_now"] and context["payment_kind"] != "cod" else ""
    )
    subject = render_to_string("notifications/email/order_confirmation_subject.txt", context)
    attachments: list[tuple[str, bytes, str]] = []
    invoice = order.invoices.order_by("-id").first()
    if invoice is not None:
        attachments.append((f"invoice-{invoice.number}.pdf", render_invoice_pdf(invoice), "application/pdf"))
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=render_to_string("notifications/email/order_confirmation.txt", context),
        html=render_to_string("notifications/email/order_confirmation.html", context),
        attachments=attachments,
    )


ORDER_CONFIRMED = "order_confirmed"


def _order_confirmed(order: Order, language: str) -> RenderedEmail:
    """The shop checked the order: the details, the delivery promise, how to pay what is due."""
    context = order_summary(order, language)
    context["tracking_url"] = tracking_url(order)
    context["pay_url"] = (
        order_pay_url(order) if context["due_now"] and context["payment_kind"] != "cod" else ""
    )
    subject = render_to_string("notifications/email/order_confirmed_subject.txt", context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=render_to_string("notifications/email/order_confirmed.txt", context),
        html=render_to_string("notifications/email/order_confirmed.html", context),
    )


DELIVERY_FAILED = "delivery_failed"


def _delivery_failed(order: Order, language: str) -> RenderedEmail:
    """A delivery attempt failed: why (in the customer's words), when it is tried again, whom to call."""
    failure = latest_delivery_failure(order)
    context = order_summary(order, language)
    context.update(
        failure=failure,
        parcel=failure.shipment if failure else None,
        next_attempt=local_date(failure.next_attempt, language) if failure else "",
        tracking_url=tracking_url(order),
    )
    subject = render_to_string("notifications/email/delivery_failed_subject.txt", context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=render_to_string("notifications/email/delivery_failed.txt", context),
        html=render_to_string("notifications/email/delivery_failed.html", context),
    )


PARCEL_SHIPPED = "parcel_shipped"
PARCEL_READY_FOR_PICKUP = "parcel_ready_for_pickup"
PARCEL_DELIVERED = "parcel_delivered"
# The shipment status each parcel email reports (queued by notifications/reactions/shipping.py).
_PARCEL_STATUS = {
    PARCEL_SHIPPED: ("handed_over", "in_transit", "at_hub", "out_for_delivery"),
    PARCEL_READY_FOR_PICKUP: ("ready_for_pickup",),
    PARCEL_DELIVERED: ("delivered",),
}


def _parcel_email(kind: str) -> Callable[[Order, str], RenderedEmail]:
    """The customer's parcel news (shipped, ready for pickup, delivered): the parcel it is about (the
    latest in that status), its tracking number and link, and the follow-the-order link."""

    def render(order: Order, language: str) -> RenderedEmail:
        parcels = order_shipments_for_customer(order)
        wanted = _PARCEL_STATUS[kind]
        parcel = next(
            (p for p in reversed(parcels) if p.shipment.status in wanted), parcels[-1] if parcels else None
        )
        context = order_summary(order, language)
        context.update(kind=kind, parcel=parcel, parcels=parcels, tracking_url=tracking_url(order))
        subject = render_to_string("notifications/email/parcel_subject.txt", context)
        return RenderedEmail(
            subject=" ".join(subject.split()),
            text=render_to_string("notifications/email/parcel.txt", context),
            html=render_to_string("notifications/email/parcel.html", context),
        )

    return render


RENDERERS: dict[str, Callable[[Order, str], RenderedEmail]] = {
    ORDER_CONFIRMATION: _order_confirmation,
    ORDER_CONFIRMED: _order_confirmed,
    DELIVERY_FAILED: _delivery_failed,
    PARCEL_SHIPPED: _parcel_email(PARCEL_SHIPPED),
    PARCEL_READY_FOR_PICKUP: _parcel_email(PARCEL_READY_FOR_PICKUP),
    PARCEL_DELIVERED: _parcel_email(PARCEL_DELIVERED),
}


def render_customer_email(kind: str, order: Order, language: str) -> RenderedEmail | None:
    renderer = RENDERERS.get(kind)
    if renderer is None:
        return None
    with translation.override(language or settings.LANGUAGE_CODE):
        return renderer(order, language)
