"""The purchase order as a PDF (reportlab), in the supplier's language.

Text is set in DejaVu Sans when installed (Latin, Cyrillic, Arabic letters; see payments/invoices.py),
else Helvetica. SKUs are set in Courier so they stay copyable.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from orderloop.core.money import format_money
from orderloop.payments.invoices import FONT_CANDIDATES

from .models import PurchaseOrder

CODE_FONT = "Courier"
FONT_NAME = "OrderloopSans"  # the invoices' font: registered once, whoever draws first
BOLD_NAME = "OrderloopSans-Bold"


def _fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans when installed (or ORDERLOOP["INVOICE_FONT"]), else Helvetica."""
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME, BOLD_NAME
    configured = settings.ORDERLOOP.get("INVOICE_FONT")
    for path in (Path(configured),) if configured else FONT_CANDIDATES:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
            bold = path.with_name(path.name.replace(".ttf", "-Bold.ttf"))
            pdfmetrics.registerFont(TTFont(BOLD_NAME, str(bold if bold.is_file() else path)))
            return FONT_NAME, BOLD_NAME
    return "Helvetica", "Helvetica-Bold"


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """Cut `text` (with an ellipsis) to fit `width` points."""
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def render_purchase_order_pdf(
    po: PurchaseOrder, *, language: str | None = None, compress: bool = True
) -> bytes:
    regular, bold = _fonts()
    language = language or po.supplier.language or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    with translation.override(language):
        title = _("Purchase order %(number)s") % {"number": po.number}
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(title)
        canvas.setSubject(f"{po.number} {po.supplier.name}")
        canvas.setKeywords([po.number, po.supplier.code])
        canvas.setAuthor(str(settings.ORDERLOOP.get("SHOP_NAME", "")))
        _draw(canvas, po, language=language, regular=regular, bold=bold)
        canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, po: PurchaseOrder, *, language: str, regular: str, bold: str) -> None:
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm
    canvas.setFont(bold, 18)
    canvas.drawString(left, y, _("Purchase order"))
    canvas.setFont(CODE_FONT, 12)
    canvas.drawRightString(right, y, po.number)
    y -= 10 * mm

    facts = [
        (_("Date"), date_format((po.sent_at or po.created_at).date(), "DATE_FORMAT")),
        (_("Expected delivery"), date_format(po.expected_date, "DATE_FORMAT") if po.expected_date else "—"),
        (_("Currency"), po.currency),
    ]
    for label, value in facts:
        canvas.setFont(regular, 10)
        canvas.drawString(left, y, label)
        canvas.drawString(left + 40 * mm, y, value)
        y -= 5 * mm

    y -= 4 * mm
    top = y
    canvas.setFont(bold, 10)
    canvas.drawString(left, y, _("Supplier"))
    canvas.drawString(left + 90 * mm, y, _("Deliver to"))
    canvas.setFont(regular, 10)
    supplier = po.supplier
    y -= 5 * mm
    for text in [
        supplier.name,
        supplier.contact_name,
        *supplier.address.splitlines(),
        supplier.email,
        supplier.phone,
    ]:
        if text:
            canvas.drawString(left, y, _fit(canvas, text, regular, 10, 85 * mm))
            y -= 5 * mm
    warehouse = po.warehouse
    y2 = top - 5 * mm
    shop = str(settings.ORDERLOOP.get("SHOP_NAME", ""))
    for text in [
        shop,
        warehouse.name,
        warehouse.address_line,
        f"{warehouse.postal_code} {warehouse.city}",
        warehouse.country,
    ]:
        if text.strip():
            canvas.drawString(left + 90 * mm, y2, _fit(canvas, text, regular, 10, 80 * mm))
            y2 -= 5 * mm
    y = min(y, y2) - 6 * mm

    columns = (left, left + 35 * mm, left + 115 * mm, left + 140 * mm, right)
    canvas.setFont(bold, 9)
    canvas.drawString(columns[0], y, _("SKU"))
    canvas.drawString(columns[1], y, _("Item"))
    canvas.drawRightString(columns[2] + 15 * mm, y, _("Qty"))
    canvas.drawRightString(columns[3] + 15 * mm, y, _("Unit price"))
    canvas.drawRightString(columns[4], y, _("Amount"))
    y -= 2 * mm
    canvas.line(left, y, right, y)
    y -= 5 * mm
    for line in po.lines.order_by("position"):
        if y < 40 * mm:
            canvas.showPage()
            y = height - 25 * mm
        canvas.setFont(CODE_FONT, 8)
        canvas.drawString(columns[0], y, _fit(canvas, line.supplier_sku or line.sku, CODE_FONT, 8, 34 * mm))
        canvas.setFont(regular, 9)
        canvas.drawString(columns[1], y, _fit(canvas, line.name, regular, 9, 78 * mm))
        canvas.drawRightString(columns[2] + 15 * mm, y, str(line.quantity_ordered))
        canvas.drawRightString(
            columns[3] + 15 * mm, y, format_money(line.unit_price_amount, po.currency, language)
        )
        canvas.drawRightString(
            columns[4], y, format_money(line.unit_price_amount * line.quantity_ordered, po.currency, language)
        )
        y -= 5 * mm
    canvas.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 3 * mm
    canvas.setFont(bold, 10)
    canvas.drawRightString(columns[3] + 15 * mm, y, _("Total"))
    canvas.drawRightString(columns[4], y, format_money(po.total_amount, po.currency, language))
    y -= 10 * mm
    if po.note:
        canvas.setFont(regular, 9)
        for text in po.note.splitlines()[:12]:
            canvas.drawString(left, y, _fit(canvas, text, regular, 9, right - left))
            y -= 4.5 * mm
    canvas.setFont(regular, 9)
    canvas.drawString(
        left,
        max(y - 4 * mm, 20 * mm),
        _fit(
            canvas,
            _("Please quote the purchase order number on the delivery note."),
            regular,
            9,
            right - left,
        ),
    )
