"""Printed documents of the warehouse (reportlab): the pick list (in the picker's language, rows in
route order) and the packing slip (in the customer's language). The invoice that goes into the
parcel for bank-transfer orders is the payments area's PDF (payments/invoices.py).

Fonts as in payments/invoices.py: DejaVu Sans when installed (Latin, Cyrillic, Arabic letters), else
Helvetica; codes (bins, SKUs, numbers) in Courier.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from orderloop.catalog import images as image_files
from orderloop.payments.errors import InvoiceNotFound
from orderloop.payments.invoices import _fonts, render_invoice_pdf

from . import selectors
from .models import Parcel, PickList

CODE_FONT = "Courier"
WIDTH, HEIGHT = A4
LEFT, RIGHT = 18 * mm, WIDTH - 18 * mm
TOP, BOTTOM = HEIGHT - 20 * mm, 20 * mm


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


class _Page:
    """A canvas with a cursor: write lines top to bottom, a new page when the bottom is reached."""

    def __init__(self, canvas: Canvas, regular: str, bold: str, header: str) -> None:
        self.canvas, self.regular, self.bold, self.header = canvas, regular, bold, header
        self.y = TOP

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.canvas.showPage()
            self.y = TOP
            self.text(self.header, size=8)
            self.y -= 2 * mm

    def text(
        self,
        value: str,
        *,
        x: float = LEFT,
        size: float = 10,
        bold: bool = False,
        code: bool = False,
        width: float | None = None,
    ) -> None:
        font = CODE_FONT if code else (self.bold if bold else self.regular)
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, _fit(str(value), font, size, width or (RIGHT - x)))

    def right(self, value: str, *, x: float = RIGHT, size: float = 10, bold: bool = False) -> None:
        self.canvas.setFont(self.bold if bold else self.regular, size)
        self.canvas.drawRightString(x, self.y, str(value))

    def down(self, amount: float = 5 * mm) -> None:
        self.y -= amount

    def rule(self) -> None:
        self.canvas.line(LEFT, self.y + 3 * mm, RIGHT, self.y + 3 * mm)


THUMBNAIL = 10 * mm


def _thumbnail(page: _Page, row: Any) -> None:
    """The product's picture at the end of the row (its top at the row's first line), so the picker
    recognises the item on paper too; nothing when the product has no picture or its file is gone."""
    data = image_files.read_rendition(row.image, "cart") if row.image is not None else None
    if data is None:
        return
    page.canvas.drawImage(
        ImageReader(io.BytesIO(data)),
        RIGHT - THUMBNAIL,
        page.y + 3.5 * mm - THUMBNAIL,
        width=THUMBNAIL,
        height=THUMBNAIL,
        preserveAspectRatio=True,
        anchor="c",
        mask="auto",
    )


def render_pick_list_pdf(pick_list: PickList, *, compress: bool = True) -> bytes:
    """The pick list to print: one row per bin in route order with the units, the product and its
    attributes, and which tote gets how many (a batch)."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    wave = pick_list.wave
    title = _("Pick list %(code)s") % {"code": pick_list.code}
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    canvas.setTitle(title)
    page = _Page(canvas, regular, bold, f"{title} · {wave.warehouse.code}")
    page.text(title, size=16, bold=True)
    page.right(pick_list.code, size=12)
    page.down(7 * mm)
    zone = pick_list.zone or _("all zones")
    page.text(
        _("Wave %(wave)s · %(warehouse)s · %(method)s · zone: %(zone)s")
        % {
            "wave": wave.number,
            "warehouse": wave.warehouse.name,
            "method": wave.get_method_display(),
            "zone": zone,
        },
        size=10,
    )
    page.down(8 * mm)
    columns = (LEFT, LEFT + 32 * mm, LEFT + 50 * mm, LEFT + 62 * mm)
    page.text(_("Bin"), x=columns[0], size=9, bold=True)
    page.text(_("Qty"), x=columns[1], size=9, bold=True)
    page.text(_("Picked"), x=columns[2], size=9, bold=True)
    page.text(_("Item"), x=columns[3], size=9, bold=True)
    page.down(2 * mm)
    page.rule()
    page.down(4 * mm)
    for row in selectors.pick_rows(pick_list):
        shares = [t for t in row.totes if t.quantity]
        page.need(14 * mm + 4 * mm * (len(shares) if len(shares) > 1 else 0))
        page.text(row.bin_code or _("no bin"), x=columns[0], size=11, code=True, width=31 * mm)
        page.text(str(row.quantity), x=columns[1], size=12, bold=True)
        page.text("[   ]", x=columns[2], size=10, code=True)
        item_width = RIGHT - columns[3] - (THUMBNAIL + 2 * mm if row.image is not None else 0)
        _thumbnail(page, row)
        page.text(f"{row.name}", x=columns[3], size=10, bold=True, width=item_width)
        page.down(4.5 * mm)
        details = " · ".join(part for part in (row.sku, row.attributes_label, row.barcode) if part)
        page.text(details, x=columns[3], size=9, code=False, width=item_width)
        page.down(4.5 * mm)
        if len(shares) > 1:
            for share in shares:
                page.text(
                    _("tote %(tote)s (order %(order)s): %(n)s")
                    % {"tote": share.tote_code, "order": share.order_number, "n": share.quantity},
                    x=columns[3] + 4 * mm,
                    size=9,
                )
                page.down(4 * mm)
        elif shares:
            page.text(
                _("tote %(tote)s (order %(order)s)")
                % {"tote": shares[0].tote_code, "order": shares[0].order_number},
                x=columns[3],
                size=9,
            )
            page.down(4 * mm)
        page.down(2 * mm)
    canvas.save()
    return buffer.getvalue()


def _address(order: Any) -> list[str]:
    city = " ".join(part for part in (order.ship_postal_code, order.ship_city) if part)
    return [
        part
        for part in (order.ship_line1, order.ship_line2, city, order.ship_region, order.ship_country)
        if part
    ]


def render_packing_slip_pdf(parcel: Parcel, *, compress: bool = True) -> bytes:
    """The packing slip of one parcel, in the customer's language: what is in this parcel, what comes
    in another parcel or later, gift lines, and the thank-you note when the order asked for one."""
    regular, bold = _fonts()
    order = parcel.order
    language = order.customer_language or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    lines = list(order.lines.select_related("variant__product").order_by("position"))
    in_parcel = {pl.line_id: pl.quantity for pl in parcel.lines.all()}
    in_other = selectors.other_parcels_units(parcel)
    parcel_total = selectors.parcel_count(order)
    with translation.override(language):
        title = _("Packing slip")
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(f"{title} {parcel.number}")
        page = _Page(canvas, regular, bold, f"{title} · {parcel.number}")
        page.text(str(settings.ORDERLOOP.get("SHOP_NAME", "")), size=11, bold=True)
        page.down(9 * mm)
        page.text(title, size=18, bold=True)
        page.right(parcel.number, size=12)
        page.down(8 * mm)
        facts = [
            (_("Order"), order.number),
            (_("Date"), date_format(timezone.localdate(order.created_at), "DATE_FORMAT")),
            (
                _("Parcel"),
                _("%(n)s of %(total)s") % {"n": parcel.sequence, "total": max(parcel_total, parcel.sequence)},
            ),
        ]
        for label, value in facts:
            page.text(label, size=10)
            page.text(value, x=LEFT + 35 * mm, size=10)
            page.down(5 * mm)
        page.down(3 * mm)
        page.text(_("Ship to"), size=10, bold=True)
        page.down(5 * mm)
        for part in [order.customer_name, *_address(order)]:
            page.text(part, size=10)
            page.down(5 * mm)
        page.down(4 * mm)

        columns = (LEFT, RIGHT - 40 * mm, RIGHT)
        page.text(_("Item"), size=9, bold=True)
        page.right(_("Qty"), x=columns[1], size=9, bold=True)
        page.right(_("To follow"), x=columns[2], size=9, bold=True)
        page.down(2 * mm)
        page.rule()
        page.down(4 * mm)
        for line in lines:
            here = in_parcel.get(line.pk, 0)
            follows = line.quantity - here - in_other.get(line.pk, 0)
            if not here and not follows:
                continue
            page.need(12 * mm)
            name = line.variant.product.display_name
            if line.is_gift:
                name = f"{name} — {_('Gift')}"
            page.text(name, size=10, width=columns[1] - LEFT - 20 * mm)
            page.right(str(here), x=columns[1], size=10)
            page.right(str(follows) if follows > 0 else "", x=columns[2], size=10)
            page.down(4.5 * mm)
            details = " · ".join(str(v) for v in (line.attributes or {}).values())
            page.text(" · ".join(part for part in (line.sku, details) if part), size=8)
            page.down(6 * mm)
        if any(line.quantity - in_parcel.get(line.pk, 0) - in_other.get(line.pk, 0) > 0 for line in lines):
            page.need(10 * mm)
            page.text(_("Items marked “to follow” come in a later parcel."), size=9)
            page.down(6 * mm)
        if order.thank_you_note:
            page.need(20 * mm)
            page.down(6 * mm)
            page.text(_("Thank you for your order!"), size=14, bold=True)
            page.down(6 * mm)
            page.text(
                _("We hope you enjoy it, %(name)s.") % {"name": order.customer_name.split(" ")[0]}, size=10
            )
            page.down(6 * mm)
        canvas.save()
    return buffer.getvalue()


def parcel_invoice_pdf(parcel: Parcel) -> tuple[bytes, str]:
    """The order's latest invoice (the payments area's PDF) to put in the parcel; InvoiceNotFound (404)."""
    invoice = parcel.order.invoices.order_by("-id").first()
    if invoice is None:
        raise InvoiceNotFound()
    return render_invoice_pdf(invoice), invoice.number
