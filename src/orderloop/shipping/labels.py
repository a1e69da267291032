"""Printed documents of shipping (reportlab): the parcel label (100×150 mm, A6-sized thermal labels)
with the tracking number as a Code 128 barcode and a QR code of the tracking link, sender, recipient
(or pickup point), weight and the cash to collect; labels of many parcels in one PDF (a wave's batch);
the handoff manifest of one carrier for one day (A4, signed by the driver); and the label of a return
parcel (`render_return_label_pdf`, same size, for returns booked through shipping/return_port.py).

Labels are in the warehouse's language (the interface language; a return label in the customer's); names
and addresses as the customer wrote them, each in its own direction. Fonts as in payments/invoices.py
(DejaVu Sans when installed, else Helvetica); text goes through core/pdftext.py (Arabic joined and right to
left, the layout mirrored for a right-to-left language; codes and barcodes read left to right).
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
from orderloop.core.pdftext import Writer, is_rtl
from orderloop.core.pdftext import width as text_width
from orderloop.orders.links import tracking_url
from orderloop.orders.promise import delivery_promise, promise_text
from orderloop.payments.invoices import _fonts

from .models import Manifest, Shipment

LABEL_SIZE = (100 * mm, 150 * mm)
CODE_FONT = "Courier-Bold"


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


def _label_page(canvas: Canvas, regular: str, bold: str) -> Writer:
    """A label's writer in the active language: 5 mm margins, mirrored for a right-to-left language."""
    width, height = LABEL_SIZE
    return Writer(
        canvas,
        regular=regular,
        bold=bold,
        rtl=is_rtl(translation.get_language()),
        left=5 * mm,
        right=width - 5 * mm,
        top=height - 9 * mm,
        bottom=5 * mm,
    )


def _barcode_block(page: Writer, number: str) -> None:
    """Under a rule: the number as Code 128 (bar width fitted to the label), the number in text under
    it, and a rule again. Codes read left to right in every language."""
    width, _height = LABEL_SIZE
    barcode = _code128(number, page.line_width)
    page.down(23 * mm)
    barcode.drawOn(page.canvas, page.left + (page.line_width - barcode.width) / 2, page.y)
    page.down(5 * mm)
    page.canvas.setFont(CODE_FONT, 12)
    page.canvas.drawCentredString(width / 2, page.y, number)
    page.down(4 * mm)
    page.rule()


def _addressee(page: Writer, link: str, lines: Sequence[str]) -> None:
    """ "To:" and the addressee's lines (the first large) beside the QR code of `link`, which stands at
    the end of the line (the left edge on a right-to-left label)."""
    qr_size = 28 * mm
    page.down(5 * mm)
    page.text(_("To:"), size=9, bold=True)
    qr_x = page.left if page.rtl else page.right - qr_size
    renderPDF.draw(_qr(link, qr_size), page.canvas, qr_x, page.y - qr_size + 3 * mm)
    room = page.line_width - qr_size - 2 * mm
    for index, line in enumerate(lines):
        page.down(5 * mm)
        page.text(line, size=11 if index == 0 else 9, bold=index == 0, own=True, room=room)
    _width, height = LABEL_SIZE
    page.y = min(page.y, height - 9 * mm - 68 * mm) - 6 * mm
    page.rule()


def _draw_label(canvas: Canvas, shipment: Shipment, regular: str, bold: str) -> None:
    page = _label_page(canvas, regular, bold)
    inner = page.line_width
    order = shipment.order
    page.text(shipment.carrier.display_name, size=15, bold=True, room=inner * 0.62)
    page.end(shipment.service.display_name, size=8, room=inner * 0.38)
    page.down(5 * mm)
    page.text(
        _("Order %(number)s · parcel %(parcel)s")
        % {"number": order.number, "parcel": shipment.parcel.number},
        size=8,
    )
    page.down(3 * mm)
    page.rule()
    _barcode_block(page, shipment.tracking_number or f"S{shipment.pk}")
    _addressee(page, tracking_link(shipment), _recipient_lines(shipment))

    # Weight, cash on delivery, the courier's day.
    page.down(6 * mm)
    weight = (Decimal(shipment.weight_g) / 1000).quantize(Decimal("0.001"))
    page.text(_("Weight: %(kg)s kg") % {"kg": f"{weight:.3f}"}, size=9)
    page.down(8 * mm)
    if shipment.cod_amount > 0:
        page.text(
            _("COD: %(amount)s") % {"amount": format_money(shipment.cod_amount, shipment.currency)},
            size=14,
            bold=True,
        )
    else:
        page.text(_("Prepaid: nothing to collect"), size=9)
    # The day (and the customer's hours) promised to the customer: the same text as on the order card,
    # the courier's route and the customer's page (orders/promise.py).
    promised = promise_text(delivery_promise(order))
    if promised:
        page.down(6 * mm)
        page.text(_("Deliver: %(when)s") % {"when": promised}, size=10, bold=True)

    # The sender at the bottom.
    warehouse = shipment.warehouse
    _sender(
        page,
        [
            str(settings.ORDERLOOP.get("SHOP_NAME", "")),
            ", ".join(
                p
                for p in (warehouse.address_line, warehouse.postal_code, warehouse.city, warehouse.country)
                if p
            ),
        ],
    )


def _sender(page: Writer, lines: Sequence[str]) -> None:
    """ "From:" and two lines of the sender at the bottom of the label, under a rule."""
    page.y = 17 * mm
    page.rule()
    page.y = 12 * mm
    page.text(_("From:"), size=8, bold=True)
    at = max(10 * mm, text_width(_("From:"), page.font(bold=True), 8, rtl=page.rtl) + 2 * mm)
    for line in lines[:2]:
        page.text(line, at=at, size=8, own=True)
        page.down(4 * mm)


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
    buffer = io.BytesIO()
    with translation.override(data.language or settings.LANGUAGE_CODE):
        canvas = Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1 if compress else 0)
        canvas.setTitle(_("Return label %(number)s") % {"number": data.rma_number})
        canvas.setSubject(data.tracking_number)
        page = _label_page(canvas, regular, bold)
        inner = page.line_width
        page.text(data.carrier, size=15, bold=True, room=inner * 0.62)
        page.end(_("Return"), size=11, bold=True, room=inner * 0.38)
        page.down(5 * mm)
        page.text(
            _("Return %(rma)s · order %(number)s") % {"rma": data.rma_number, "number": data.order_number},
            size=8,
        )
        page.down(3 * mm)
        page.rule()
        _barcode_block(page, data.tracking_number)
        _addressee(page, data.link, list(data.recipient[:6]))

        page.down(5 * mm)
        page.text(_("From:"), size=8, bold=True)
        at = max(10 * mm, text_width(_("From:"), page.font(bold=True), 8, rtl=page.rtl) + 2 * mm)
        for line in data.sender[:5]:
            page.text(line, at=at, size=8, own=True)
            page.down(4 * mm)
        page.down(2 * mm)
        weight = (Decimal(data.weight_g) / 1000).quantize(Decimal("0.001"))
        page.text(_("Weight: %(kg)s kg") % {"kg": f"{weight:.3f}"}, size=9)
        page.down(4.5 * mm)
        for item in data.items[:4]:
            page.text(item, size=7, own=True)
            page.down(3.4 * mm)

        # What to do, at the bottom (two lines at most).
        page.y = 17 * mm
        page.rule()
        page.y = 12 * mm
        page.paragraph(page.lines(data.hint, room=inner, size=8)[:2], size=8, leading=4 * mm)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def render_manifest_pdf(manifest: Manifest, *, compress: bool = True) -> bytes:
    """The handoff list: every parcel of the carrier leaving the warehouse that day, with totals and
    the lines the driver and the warehouse sign. Columns as wide as their titles and values in the
    warehouse's language; the recipient and the city share the rest."""
    regular, bold = _fonts()
    width, height = A4
    rtl = is_rtl(translation.get_language())
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    canvas.setTitle(_("Manifest %(number)s") % {"number": manifest.number})
    shipments = list(
        manifest.shipments.select_related("order", "pickup_point", "service", "parcel__order").order_by(
            "handed_over_at", "id"
        )
    )
    page = Writer(
        canvas,
        regular=regular,
        bold=bold,
        rtl=rtl,
        left=15 * mm,
        right=width - 15 * mm,
        top=height - 18 * mm,
        bottom=40 * mm,
    )
    rows = [
        {
            "index": str(index),
            "tracking": shipment.tracking_number,
            "order": shipment.order.number,
            "recipient": shipment.order.customer_name,
            "city": shipment.pickup_point.city if shipment.pickup_point else shipment.order.ship_city,
            "kg": f"{shipment.weight_g / 1000:.2f}",
            "cod": f"{shipment.cod_amount}" if shipment.cod_amount > 0 else "",
        }
        for index, shipment in enumerate(shipments, start=1)
    ]
    title_font = page.font(bold=True)
    gap = 3 * mm

    def column(title: str, key: str, font: str = regular) -> float:
        return max(
            [text_width(title, title_font, 8, rtl=rtl)]
            + [pdfmetrics.stringWidth(row[key], font, 8) for row in rows]
        )

    positions: dict[str, float] = {}
    at = 0.0
    for key, title, font in (
        ("index", "#", regular),
        ("tracking", _("Tracking number"), "Courier"),
        ("order", _("Order"), regular),
    ):
        positions[key] = at
        at += column(title, key, font) + gap
    # From the end: COD and kg, then the city and the recipient share what is left.
    (kg_end, cod_end), rest = page.end_columns(
        [(_("kg"), [row["kg"] for row in rows]), (_("COD"), [row["cod"] for row in rows])],
        size=8,
        title_size=8,
        gap=gap,
    )
    shared = rest - at
    positions["recipient"] = at
    positions["city"] = at + shared * 0.6
    titles = [
        ("#", positions["index"], False),
        (_("Tracking number"), positions["tracking"], False),
        (_("Order"), positions["order"], False),
        (_("Recipient"), positions["recipient"], False),
        (_("City"), positions["city"], False),
        (_("kg"), kg_end, True),
        (_("COD"), cod_end, True),
    ]

    def header() -> None:
        page.text(_("Handoff manifest %(number)s") % {"number": manifest.number}, size=15, bold=True)
        page.down(7 * mm)
        page.text(
            _("%(carrier)s · %(warehouse)s · %(day)s")
            % {
                "carrier": manifest.carrier.display_name,
                "warehouse": manifest.warehouse.name,
                "day": date_format(manifest.date, "DATE_FORMAT"),
            },
            size=10,
        )
        page.down(9 * mm)
        page.table_titles(titles, size=8)

    header()
    total_weight = 0
    cod: dict[str, Decimal] = {}
    for row, shipment in zip(rows, shipments, strict=True):
        if page.need(5.5 * mm):
            header()
        page.text(row["index"], at=positions["index"], size=8)
        page.text(row["tracking"], at=positions["tracking"], size=8, code=True)
        page.text(row["order"], at=positions["order"], size=8)
        page.text(row["recipient"], at=positions["recipient"], size=8, own=True, room=shared * 0.6 - gap)
        page.text(row["city"], at=positions["city"], size=8, own=True, room=shared * 0.4 - gap)
        page.end(row["kg"], at=kg_end, size=8)
        page.end(row["cod"], at=cod_end, size=8)
        if shipment.cod_amount > 0:
            cod[shipment.currency] = cod.get(shipment.currency, Decimal("0")) + shipment.cod_amount
        total_weight += shipment.weight_g
        page.down(5.5 * mm)
    page.down(-2.5 * mm)
    page.rule()
    page.down(5 * mm)
    page.paragraph(
        ngettext("%(n)s parcel, %(kg)s kg", "%(n)s parcels, %(kg)s kg", len(shipments))
        % {"n": len(shipments), "kg": f"{total_weight / 1000:.2f}"}
        + "".join(f"; {_('COD')} {format_money(amount, currency)}" for currency, amount in cod.items()),
        size=9,
        bold=True,
    )
    page.y = 25 * mm
    half = page.line_width / 2
    page.text(_("Handed over by (warehouse): ____________________"), size=9, room=half - gap)
    page.text(_("Received by (driver): ____________________"), at=half, size=9, room=half)
    page.y = 15 * mm
    page.text(
        _("Printed %(when)s") % {"when": date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")}, size=7
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
