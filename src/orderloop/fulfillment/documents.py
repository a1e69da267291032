"""Printed documents of the warehouse (reportlab): the pick list (in the picker's language, rows in
route order) and the packing slip (in the customer's language). The invoice that goes into the
parcel for bank-transfer orders is the payments area's PDF (payments/invoices.py).

Fonts as in payments/invoices.py: DejaVu Sans when installed (Latin, Cyrillic, Arabic letters), else
Helvetica; codes (bins, SKUs, numbers) in Courier. Text goes through core/pdftext.py: Arabic letters
joined and set right to left, the layout mirrored for an Arabic document. Column widths are measured
from the column titles of the document's language and the values in them, so no title runs into the
next in any language; the header rule is drawn under the titles; long product names wrap.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from orderloop.catalog import images as image_files
from orderloop.core.pdftext import CODE_FONT, Writer, is_rtl, width
from orderloop.payments.errors import InvoiceNotFound
from orderloop.payments.invoices import _fonts, render_invoice_pdf

from . import selectors
from .models import Parcel, PickList

WIDTH, HEIGHT = A4
LEFT, RIGHT = 18 * mm, WIDTH - 18 * mm
TOP, BOTTOM = HEIGHT - 20 * mm, 20 * mm
GAP = 4 * mm  # between two columns
TITLE_SIZE = 9  # column titles, bold
# Below a row of column titles: the rule this far under their baseline (clear of descenders), the next
# row's baseline this far under the rule (clear of its capitals).
RULE_BELOW_TITLES = 2 * mm
FIRST_ROW_BELOW_RULE = 5 * mm
ROW_RULE = Color(0.8, 0.8, 0.8)
TICK_BOX = "[   ]"


def _writer(canvas: Canvas, *, rtl: bool, header: str) -> Writer:
    regular, bold = _fonts()
    return Writer(
        canvas,
        regular=regular,
        bold=bold,
        rtl=rtl,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        header=header,
    )


def _column_titles(page: Writer, titles: list[tuple[str, float, bool]]) -> None:
    """A row of bold column titles — (title, position, ends there) — then the rule under them."""
    for title, at, at_end in titles:
        if at_end:
            page.end(title, at=at, size=TITLE_SIZE, bold=True)
        else:
            page.text(title, at=at, size=TITLE_SIZE, bold=True)
    page.down(RULE_BELOW_TITLES)
    page.rule()
    page.down(FIRST_ROW_BELOW_RULE)


def _row_rule(page: Writer) -> None:
    page.canvas.saveState()
    page.canvas.setStrokeColor(ROW_RULE)
    page.canvas.setLineWidth(0.4)
    page.rule()
    page.canvas.restoreState()


THUMBNAIL = 10 * mm


def _thumbnail(page: Writer, row: Any) -> None:
    """The product's picture at the end of the row (its top at the row's first line; the left edge in a
    right-to-left list), so the picker recognises the item on paper too; nothing when the product has
    no picture or its file is gone."""
    data = image_files.read_rendition(row.image, "cart") if row.image is not None else None
    if data is None:
        return
    page.canvas.drawImage(
        ImageReader(io.BytesIO(data)),
        page.left if page.rtl else page.right - THUMBNAIL,
        page.y + 3.5 * mm - THUMBNAIL,
        width=THUMBNAIL,
        height=THUMBNAIL,
        preserveAspectRatio=True,
        anchor="c",
        mask="auto",
    )


def render_pick_list_pdf(pick_list: PickList, *, compress: bool = True) -> bytes:
    """The pick list to print, in the active (the picker's) language: one row per bin in route order
    with the units, a tick box, the product and its attributes, and which tote gets how many (a batch)."""
    buffer = io.BytesIO()
    wave = pick_list.wave
    rows = selectors.pick_rows(pick_list)
    rtl = is_rtl(translation.get_language())
    title = _("Pick list %(code)s") % {"code": pick_list.code}
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    canvas.setTitle(title)
    page = _writer(canvas, rtl=rtl, header=f"{title} · {wave.warehouse.code}")
    page.text(_("Pick list"), size=16, bold=True)
    page.end(pick_list.code, size=12, code=True)
    page.down(7 * mm)
    zone = pick_list.zone or _("all zones")
    page.paragraph(
        _("Wave %(wave)s · %(warehouse)s · %(method)s · zone: %(zone)s")
        % {
            "wave": wave.number,
            "warehouse": wave.warehouse.name,
            "method": wave.get_method_display(),
            "zone": zone,
        },
        size=10,
    )
    page.down(9 * mm)

    # Columns: bin, units, tick box, item (the rest of the line). Each as wide as its widest title or
    # value, so the titles never meet whatever the language.
    bold, regular = page.font(bold=True), page.font()
    no_bin = _("no bin")
    bin_width = min(
        max(
            [width(_("Bin"), bold, TITLE_SIZE, rtl=rtl), width(no_bin, regular, 11, rtl=rtl)]
            + [pdfmetrics.stringWidth(row.bin_code, CODE_FONT, 11) for row in rows if row.bin_code]
        ),
        45 * mm,
    )
    qty_width = max(
        [width(_("Qty"), bold, TITLE_SIZE, rtl=rtl)]
        + [pdfmetrics.stringWidth(str(row.quantity), bold, 12) for row in rows]
    )
    tick_width = max(
        width(_("Picked"), bold, TITLE_SIZE, rtl=rtl), pdfmetrics.stringWidth(TICK_BOX, CODE_FONT, 10)
    )
    qty_at = bin_width + GAP
    tick_at = qty_at + qty_width + GAP
    item_at = tick_at + tick_width + GAP
    item_room = page.line_width - item_at
    titles = [
        (_("Bin"), 0, False),
        (_("Qty"), qty_at, False),
        (_("Picked"), tick_at, False),
        (_("Item"), item_at, False),
    ]
    _column_titles(page, titles)

    for row in rows:
        shares = [t for t in row.totes if t.quantity]
        # The item's text stops short of the picture at the row's end.
        text_room = item_room - (THUMBNAIL + 2 * mm if row.image is not None else 0)
        name_lines = page.lines(row.name, room=text_room, size=10, bold=True)
        details = " · ".join(part for part in (row.sku, row.attributes_label, row.barcode) if part)
        detail_lines = page.lines(details, room=text_room, size=9)
        tote_lines = (
            [
                _("tote %(tote)s (order %(order)s): %(n)s")
                % {"tote": share.tote_code, "order": share.order_number, "n": share.quantity}
                for share in shares
            ]
            if len(shares) > 1
            else [
                _("tote %(tote)s (order %(order)s)")
                % {"tote": shares[0].tote_code, "order": shares[0].order_number}
            ]
            if shares
            else []
        )
        height = 4.5 * mm * (len(name_lines) + len(detail_lines)) + 4 * mm * len(tote_lines) + 4 * mm
        if page.need(max(height, THUMBNAIL + 4 * mm)):
            _column_titles(page, titles)
        _thumbnail(page, row)
        if row.bin_code:
            page.text(row.bin_code, size=11, code=True, room=bin_width)
        else:
            page.text(no_bin, size=11, room=bin_width)
        page.text(str(row.quantity), at=qty_at, size=12, bold=True)
        page.text(TICK_BOX, at=tick_at, size=10, code=True)
        page.paragraph(name_lines, at=item_at, room=text_room, size=10, bold=True, leading=4.5 * mm)
        page.down(4.5 * mm)
        page.paragraph(detail_lines, at=item_at, room=text_room, size=9, leading=4.5 * mm)
        page.down(4.5 * mm)
        for line in tote_lines:
            page.text(line, at=item_at + (4 * mm if len(tote_lines) > 1 else 0), size=9)
            page.down(4 * mm)
        page.down(-1 * mm)
        _row_rule(page)
        page.down(5 * mm)
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
    order = parcel.order
    language = order.customer_language or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    lines = list(order.lines.select_related("variant__product").order_by("position"))
    in_parcel = {pl.line_id: pl.quantity for pl in parcel.lines.all()}
    in_other = selectors.other_parcels_units(parcel)
    parcel_total = selectors.parcel_count(order)
    with translation.override(language):
        rtl = is_rtl(language)
        title = _("Packing slip")
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(f"{title} {parcel.number}")
        page = _writer(canvas, rtl=rtl, header=f"{title} · {parcel.number}")
        page.text(str(settings.ORDERLOOP.get("SHOP_NAME", "")), size=11, bold=True, own=True)
        page.down(9 * mm)
        page.text(title, size=18, bold=True)
        page.end(parcel.number, size=12, code=True)
        page.down(8 * mm)
        facts = [
            (_("Order"), order.number),
            (_("Date"), date_format(timezone.localdate(order.created_at), "DATE_FORMAT")),
            (
                _("Parcel"),
                _("%(n)s of %(total)s") % {"n": parcel.sequence, "total": max(parcel_total, parcel.sequence)},
            ),
            (_("Delivery"), order.delivery_method.display_name),
        ]
        regular = page.font()
        value_at = max(width(label, regular, 10, rtl=rtl) for label, _value in facts) + GAP
        for label, value in facts:
            page.text(label, size=10)
            page.text(value, at=value_at, size=10)
            page.down(5 * mm)
        page.down(3 * mm)
        page.text(_("Ship to"), size=10, bold=True)
        page.down(5 * mm)
        for part in [order.customer_name, *_address(order)]:
            page.text(part, size=10, own=True)
            page.down(5 * mm)
        page.down(4 * mm)

        # Columns: item (the rest of the line), units in this parcel, units to follow; the two numbers
        # end at their column's end, each as wide as its title.
        bold = page.font(bold=True)
        follow_end = page.line_width
        follow_width = width(_("To follow"), bold, TITLE_SIZE, rtl=rtl)
        qty_end = follow_end - follow_width - GAP
        qty_width = max(
            width(_("Qty"), bold, TITLE_SIZE, rtl=rtl), pdfmetrics.stringWidth("0000", regular, 10)
        )
        item_room = qty_end - qty_width - GAP
        titles = [(_("Item"), 0, False), (_("Qty"), qty_end, True), (_("To follow"), follow_end, True)]
        _column_titles(page, titles)
        for line in lines:
            here = in_parcel.get(line.pk, 0)
            follows = line.quantity - here - in_other.get(line.pk, 0)
            if not here and not follows:
                continue
            name = line.variant.product.display_name
            if line.is_gift:
                name = f"{name} — {_('Gift')}"
            name_lines = page.lines(name, room=item_room, size=10)
            details = " · ".join(str(v) for v in (line.attributes or {}).values())
            detail = " · ".join(part for part in (line.sku, details) if part)
            detail_lines = page.lines(detail, room=item_room, size=8)
            if page.need(4.5 * mm * len(name_lines) + 4 * mm * len(detail_lines) + 6 * mm):
                _column_titles(page, titles)
            page.end(str(here), at=qty_end, size=10)
            page.end(str(follows) if follows > 0 else "", at=follow_end, size=10)
            page.paragraph(name_lines, room=item_room, size=10, leading=4.5 * mm)
            page.down(4.5 * mm)
            page.paragraph(detail_lines, room=item_room, size=8, leading=4 * mm)
            page.down(2 * mm)
            _row_rule(page)
            page.down(4.5 * mm)
        if any(line.quantity - in_parcel.get(line.pk, 0) - in_other.get(line.pk, 0) > 0 for line in lines):
            page.need(10 * mm)
            page.paragraph(_("Items marked “to follow” come in a later parcel."), size=9)
            page.down(6 * mm)
        if order.thank_you_note:
            page.need(20 * mm)
            page.down(6 * mm)
            page.text(_("Thank you for your order!"), size=14, bold=True)
            page.down(6 * mm)
            page.paragraph(
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
