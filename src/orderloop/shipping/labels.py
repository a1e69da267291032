"""Printed documents of shipping (reportlab): the parcel label (100×150 mm, A6-sized thermal labels)
with the tracking number as a Code 128 barcode and a QR code of the tracking link, sender, recipient
(or pickup point), weight and the cash to collect; labels of many parcels in one PDF (a wave's batch);
the handoff manifest of one carrier for one day (A4, signed by the driver); and the label of a return
parcel (`render_return_label_pdf`, same size, for returns booked through shipping/return_port.py).

Labels are in the warehouse's language (the interface language; a return label in the customer's); names and addresses as the customer
wrote them. Fonts as in payments/invoices.py (DejaVu Sans when installed, else Helvetica).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from orderloop.core.money import format_money
from orderloop.orders.links import tracking_url
from orderloop.orders.promise import delivery_promise, promise_text
from orderloop.payments.invoices import _fonts

from .models import Manifest, Shipment

LABEL_SIZE = (100 * mm, 150 * mm)
CODE_FONT = "Courier-Bold"


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _code128(number: str, width: float) -> code128.Code128:
    """The number as Code 128, 20 mm high, its bars narrowed until it fits `width`."""
    bar_width = 0.42 * mm
    barcode = code128.Code128(number, barWidth=bar_width, barHeight=20 * mm, humanReadable=False, quiet=True)
    while barcode.width > width and bar_width > 0.2 * mm:
        bar_width -= 0.02 * mm
        barcode = code128.Code128(
            number, barWidth=bar_width, barHeight=20 * mm, humanReadable=False, quiet=True
        )
    return barcode


def _qr(link: str, size: float) -> Drawing:
    widget = QrCodeWidget(link, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def tracking_link(shipment: Shipment) -> str:
    """The carrier's tracking page, or the shop's follow-the-order page for its own couriers."""
    if shipment.tracking_url:
        return shipment.tracking_url
    return tracking_url(shipment.order)


def _recipient_lines(shipment: Shipment) -> list[str]:
    order = shipment.order
    if shipment.pickup_point is not None:
        point = shipment.pickup_point
        name = (
            point.name if not point.number or point.number in point.name else f"{point.name} №{point.number}"
        )
        return [
            order.customer_name,
            order.customer_phone,
            _("Pickup point: %(point)s") % {"point": name},
            point.address,
            " ".join(p for p in (point.postal_code, point.city) if p),
        ]
    if shipment.service.kind == "store_pickup":
        w = shipment.warehouse
        return [order.customer_name, order.customer_phone, _("Collects at: %(place)s") % {"place": w.name}]
    city = " ".join(p for p in (order.ship_postal_code, order.ship_city) if p)
    return [
        line
        for line in (
            order.customer_name,
            order.customer_phone,
            order.ship_line1,
            order.ship_line2,
            city,
            order.ship_region,
            order.ship_country,
        )
        if line
    ]


def _draw_label(canvas: Canvas, shipment: Shipment, regular: str, bold: str) -> None:
    width, height = LABEL_SIZE
    left, right = 5 * mm, width - 5 * mm
    inner = right - left
    y = height - 9 * mm
    order = shipment.order
    canvas.setFont(bold, 15)
    canvas.drawString(left, y, _fit(shipment.carrier.display_name, bold, 15, inner * 0.62))
    canvas.setFont(regular, 8)
    canvas.drawRightString(right, y, _fit(shipment.service.display_name, regular, 8, inner * 0.38))
    y -= 5 * mm
    canvas.setFont(regular, 8)
    canvas.drawString(
        left,
        y,
        _("Order %(number)s · parcel %(parcel)s")
        % {"number": order.number, "parcel": shipment.parcel.number},
    )
    y -= 3 * mm
    canvas.line(left, y, right, y)

    # The tracking number as Code 128 (bar width fitted to the label), with the number under it.
    number = shipment.tracking_number or f"S{shipment.pk}"
    barcode = _code128(number, inner)
    y -= 23 * mm
    barcode.drawOn(canvas, left + (inner - barcode.width) / 2, y)
    y -= 5 * mm
    canvas.setFont(CODE_FONT, 12)
    canvas.drawCentredString(width / 2, y, number)
    y -= 4 * mm
    canvas.line(left, y, right, y)

    # Recipient (large) beside the QR code of the tracking link.
    qr_size = 28 * mm
    drawing = _qr(tracking_link(shipment), qr_size)
    y -= 5 * mm
    canvas.setFont(bold, 9)
    canvas.drawString(left, y, _("To:"))
    renderPDF.draw(drawing, canvas, right - qr_size, y - qr_size + 3 * mm)
    text_width = inner - qr_size - 2 * mm
    for index, line in enumerate(_recipient_lines(shipment)):
        y -= 5 * mm
        size = 11 if index == 0 else 9
        font = bold if index == 0 else regular
        canvas.setFont(font, size)
        canvas.drawString(left, y, _fit(line, font, size, text_width))
    y = min(y, height - 9 * mm - 68 * mm) - 6 * mm
    canvas.line(left, y, right, y)

    # Weight, cash on delivery, the courier's day.
    y -= 6 * mm
    weight = (Decimal(shipment.weight_g) / 1000).quantize(Decimal("0.001"))
    canvas.setFont(regular, 9)
    canvas.drawString(left, y, _("Weight: %(kg)s kg") % {"kg": f"{weight:.3f}"})
    y -= 8 * mm
    if shipment.cod_amount > 0:
        canvas.setFont(bold, 14)
        canvas.drawString(
            left, y, _("COD: %(amount)s") % {"amount": format_money(shipment.cod_amount, shipment.currency)}
        )
    else:
        canvas.setFont(regular, 9)
        canvas.drawString(left, y, _("Prepaid: nothing to collect"))
    # The day (and the customer's hours) promised to the customer: the same text as on the order card,
    # the courier's route and the customer's page (orders/promise.py).
    promised = promise_text(delivery_promise(order))
    if promised:
        y -= 6 * mm
        canvas.setFont(bold, 10)
        canvas.drawString(left, y, _fit(_("Deliver: %(when)s") % {"when": promised}, bold, 10, inner))

    # The sender at the bottom.
    warehouse = shipment.warehouse
    sender = [
        str(settings.ORDERLOOP.get("SHOP_NAME", "")),
        ", ".join(
            p for p in (warehouse.address_line, warehouse.postal_code, warehouse.city, warehouse.country) if p
        ),
    ]
    y = 12 * mm
    canvas.line(left, y + 5 * mm, right, y + 5 * mm)
    canvas.setFont(bold, 8)
    canvas.drawString(left, y, _("From:"))
    canvas.setFont(regular, 8)
    canvas.drawString(left + 10 * mm, y, _fit(sender[0], regular, 8, inner - 10 * mm))
    canvas.drawString(left + 10 * mm, y - 4 * mm, _fit(sender[1], regular, 8, inner - 10 * mm))


def render_labels_pdf(shipments: Iterable[Shipment], *, compress: bool = True) -> bytes:
    """One 100×150 mm page per shipment."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1 if compress else 0)
    canvas.setTitle(_("Parcel labels"))
    drawn = 0
    for shipment in shipments:
        _draw_label(canvas, shipment, regular, bold)
        canvas.showPage()
        drawn += 1
    if not drawn:
        canvas.setFont(regular, 10)
        canvas.drawString(10 * mm, 75 * mm, _("No labels."))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_label_pdf(shipment: Shipment, *, compress: bool = True) -> bytes:
    return render_labels_pdf([shipment], compress=compress)


@dataclass(frozen=True)
class ReturnLabelData:
    """A return parcel's label (shipping/return_port.py): no Shipment row behind it."""

    carrier: str  # the carrier's name
    tracking_number: str
    rma_number: str
    order_number: str
    recipient: Sequence[str]  # the shop's return address
    sender: Sequence[str]  # the customer: name, phone, address
    link: str  # the QR code: the customer's page of the return
    weight_g: int
    hint: str  # what the customer does with the parcel
    language: str = ""
    items: Sequence[str] = field(default_factory=tuple)


def render_return_label_pdf(data: ReturnLabelData, *, compress: bool = True) -> bytes:
    """The 100×150 mm label of a return parcel, in the customer's language: the carrier, the return and
    order numbers, the tracking number as Code 128 and in text, the shop's return address beside a QR
    code of the customer's return page, the customer as the sender, weight, items and what to do."""
    regular, bold = _fonts()
    width, height = LABEL_SIZE
    left, right = 5 * mm, width - 5 * mm
    inner = right - left
    buffer = io.BytesIO()
    with translation.override(data.language or settings.LANGUAGE_CODE):
        canvas = Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1 if compress else 0)
        canvas.setTitle(_("Return label %(number)s") % {"number": data.rma_number})
        canvas.setSubject(data.tracking_number)
        y = height - 9 * mm
        canvas.setFont(bold, 15)
        canvas.drawString(left, y, _fit(data.carrier, bold, 15, inner * 0.62))
        canvas.setFont(bold, 11)
        canvas.drawRightString(right, y, _fit(_("Return"), bold, 11, inner * 0.38))
        y -= 5 * mm
        canvas.setFont(regular, 8)
        canvas.drawString(
            left,
            y,
            _fit(
                _("Return %(rma)s · order %(number)s")
                % {"rma": data.rma_number, "number": data.order_number},
                regular,
                8,
                inner,
            ),
        )
        y -= 3 * mm
        canvas.line(left, y, right, y)

        barcode = _code128(data.tracking_number, inner)
        y -= 23 * mm
        barcode.drawOn(canvas, left + (inner - barcode.width) / 2, y)
        y -= 5 * mm
        canvas.setFont(CODE_FONT, 12)
        canvas.drawCentredString(width / 2, y, data.tracking_number)
        y -= 4 * mm
        canvas.line(left, y, right, y)

        qr_size = 28 * mm
        y -= 5 * mm
        canvas.setFont(bold, 9)
        canvas.drawString(left, y, _("To:"))
        renderPDF.draw(_qr(data.link, qr_size), canvas, right - qr_size, y - qr_size + 3 * mm)
        text_width = inner - qr_size - 2 * mm
        for index, line in enumerate(data.recipient[:6]):
            y -= 5 * mm
            size = 11 if index == 0 else 9
            font = bold if index == 0 else regular
            canvas.setFont(font, size)
            canvas.drawString(left, y, _fit(line, font, size, text_width))
        y = min(y, height - 9 * mm - 68 * mm) - 6 * mm
        canvas.line(left, y, right, y)

        y -= 5 * mm
        canvas.setFont(bold, 8)
        canvas.drawString(left, y, _("From:"))
        canvas.setFont(regular, 8)
        for line in data.sender[:5]:
            canvas.drawString(left + 10 * mm, y, _fit(line, regular, 8, inner - 10 * mm))
            y -= 4 * mm
        y -= 2 * mm
        weight = (Decimal(data.weight_g) / 1000).quantize(Decimal("0.001"))
        canvas.setFont(regular, 9)
        canvas.drawString(left, y, _("Weight: %(kg)s kg") % {"kg": f"{weight:.3f}"})
        y -= 4.5 * mm
        canvas.setFont(regular, 7)
        for item in data.items[:4]:
            canvas.drawString(left, y, _fit(item, regular, 7, inner))
            y -= 3.4 * mm

        # What to do, at the bottom (two lines at most).
        words, lines, current = data.hint.split(), [], ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if pdfmetrics.stringWidth(candidate, regular, 8) > inner and current:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        y = 12 * mm
        canvas.line(left, y + 5 * mm, right, y + 5 * mm)
        canvas.setFont(regular, 8)
        for line in lines[:2]:
            canvas.drawString(left, y, _fit(line, regular, 8, inner))
            y -= 4 * mm
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def render_manifest_pdf(manifest: Manifest, *, compress: bool = True) -> bytes:
    """The handoff list: every parcel of the carrier leaving the warehouse that day, with totals and
    the lines the driver and the warehouse sign."""
    regular, bold = _fonts()
    width, height = A4
    left, right = 15 * mm, width - 15 * mm
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    canvas.setTitle(_("Manifest %(number)s") % {"number": manifest.number})
    shipments = list(
        manifest.shipments.select_related("order", "pickup_point", "service", "parcel__order").order_by(
            "handed_over_at", "id"
        )
    )

    def header() -> float:
        y = height - 18 * mm
        canvas.setFont(bold, 15)
        canvas.drawString(left, y, _("Handoff manifest %(number)s") % {"number": manifest.number})
        y -= 7 * mm
        canvas.setFont(regular, 10)
        canvas.drawString(
            left,
            y,
            _("%(carrier)s · %(warehouse)s · %(day)s")
            % {
                "carrier": manifest.carrier.display_name,
                "warehouse": manifest.warehouse.name,
                "day": date_format(manifest.date, "DATE_FORMAT"),
            },
        )
        y -= 9 * mm
        canvas.setFont(bold, 8)
        for x, title in (
            (0, "#"),
            (8, _("Tracking number")),
            (58, _("Order")),
            (80, _("Recipient")),
            (135, _("City")),
            (160, _("kg")),
            (170, _("COD")),
        ):
            canvas.drawString(left + x * mm, y, title)
        y -= 2 * mm
        canvas.line(left, y, right, y)
        return y - 5 * mm

    y = header()
    total_weight = 0
    cod: dict[str, Decimal] = {}
    for index, shipment in enumerate(shipments, start=1):
        if y < 40 * mm:
            canvas.showPage()
            y = header()
        canvas.setFont(regular, 8)
        canvas.drawString(left, y, str(index))
        canvas.setFont("Courier", 8)
        canvas.drawString(left + 8 * mm, y, _fit(shipment.tracking_number, "Courier", 8, 48 * mm))
        canvas.setFont(regular, 8)
        canvas.drawString(left + 58 * mm, y, shipment.order.number)
        canvas.drawString(left + 80 * mm, y, _fit(shipment.order.customer_name, regular, 8, 53 * mm))
        city = shipment.pickup_point.city if shipment.pickup_point else shipment.order.ship_city
        canvas.drawString(left + 135 * mm, y, _fit(city, regular, 8, 24 * mm))
        canvas.drawString(left + 160 * mm, y, f"{shipment.weight_g / 1000:.2f}")
        if shipment.cod_amount > 0:
            canvas.drawString(left + 170 * mm, y, f"{shipment.cod_amount}")
            cod[shipment.currency] = cod.get(shipment.currency, Decimal("0")) + shipment.cod_amount
        total_weight += shipment.weight_g
        y -= 5.5 * mm
    y -= 4 * mm
    canvas.line(left, y + 3 * mm, right, y + 3 * mm)
    canvas.setFont(bold, 9)
    canvas.drawString(
        left,
        y - 2 * mm,
        ngettext("%(n)s parcel, %(kg)s kg", "%(n)s parcels, %(kg)s kg", len(shipments))
        % {"n": len(shipments), "kg": f"{total_weight / 1000:.2f}"}
        + "".join(f"; {_('COD')} {format_money(amount, currency)}" for currency, amount in cod.items()),
    )
    y = 25 * mm
    canvas.setFont(regular, 9)
    canvas.drawString(left, y, _("Handed over by (warehouse): ____________________"))
    canvas.drawString(left + 95 * mm, y, _("Received by (driver): ____________________"))
    canvas.setFont(regular, 7)
    canvas.drawString(
        left,
        15 * mm,
        _("Printed %(when)s") % {"when": date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")},
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
