"""The purchase order as a PDF (reportlab), in the supplier's language.

Text is set in DejaVu Sans when installed (Latin, Cyrillic, Arabic letters; see payments/invoices.py),
else Helvetica. SKUs are set in Courier so they stay copyable. Text goes through core/pdftext.py: Arabic
joined and right to left, the layout mirrored for an Arabic supplier, names and addresses in their own
direction; the columns are as wide as their titles and values in the supplier's language.
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
from orderloop.core.pdftext import Writer, is_rtl
from orderloop.core.pdftext import width as text_width
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


GAP = 4 * mm
SIDE = 90 * mm
SKU_ROOM = 34 * mm  # at most; a narrower column when the SKUs are short


def _draw(canvas: Canvas, po: PurchaseOrder, *, language: str, regular: str, bold: str) -> None:
    width, height = A4
    rtl = is_rtl(language)
    page = Writer(
        canvas,
        regular=regular,
        bold=bold,
        rtl=rtl,
        left=20 * mm,
        right=width - 20 * mm,
        top=height - 25 * mm,
        bottom=25 * mm,
        header=_("Purchase order %(number)s") % {"number": po.number},
    )
    page.text(_("Purchase order"), size=18, bold=True)
    page.end(po.number, size=12, code=True)
    page.down(10 * mm)

    facts = [
        (_("Date"), date_format((po.sent_at or po.created_at).date(), "DATE_FORMAT")),
        (_("Expected delivery"), date_format(po.expected_date, "DATE_FORMAT") if po.expected_date else "—"),
        (_("Currency"), po.currency),
    ]
    value_at = max([40 * mm] + [text_width(label, regular, 10, rtl=rtl) + GAP for label, _value in facts])
    for label, value in facts:
        page.text(label, size=10)
        page.text(value, at=value_at, size=10)
        page.down(5 * mm)

    page.down(4 * mm)
    supplier = po.supplier
    warehouse = po.warehouse
    page.side_by_side(
        (
            _("Supplier"),
            [
                supplier.name,
                supplier.contact_name,
                *supplier.address.splitlines(),
                supplier.email,
                supplier.phone,
            ],
        ),
        (
            _("Deliver to"),
            [
                str(settings.ORDERLOOP.get("SHOP_NAME", "")),
                warehouse.name,
                warehouse.address_line,
                f"{warehouse.postal_code} {warehouse.city}".strip(),
                warehouse.country,
            ],
        ),
        at=SIDE,
    )
    page.down(11 * mm)

    lines = list(po.lines.order_by("position"))
    skus = [line.supplier_sku or line.sku for line in lines]
    prices = [format_money(line.unit_price_amount, po.currency, language) for line in lines]
    amounts = [
        format_money(line.unit_price_amount * line.quantity_ordered, po.currency, language) for line in lines
    ]
    total = format_money(po.total_amount, po.currency, language)
    (qty_end, price_end, amount_end), rest = page.end_columns(
        [
            (_("Qty"), [str(line.quantity_ordered) for line in lines]),
            (_("Unit price"), prices),
            (_("Amount"), [*amounts, total]),
        ],
        size=9,
        gap=GAP,
    )
    sku_width = min(
        max(
            [text_width(_("SKU"), page.font(bold=True), 9, rtl=rtl)]
            + [pdfmetrics.stringWidth(sku, CODE_FONT, 8) for sku in skus]
        ),
        SKU_ROOM,
    )
    item_at = sku_width + GAP
    item_room = rest - item_at
    titles = [
        (_("SKU"), 0.0, False),
        (_("Item"), item_at, False),
        (_("Qty"), qty_end, True),
        (_("Unit price"), price_end, True),
        (_("Amount"), amount_end, True),
    ]
    page.table_titles(titles)
    for index, line in enumerate(lines):
        if page.need(30 * mm):
            page.table_titles(titles)
        page.text(skus[index], size=8, code=True, room=sku_width)
        page.text(line.name, at=item_at, size=9, own=True, room=item_room)
        page.end(str(line.quantity_ordered), at=qty_end, size=9)
        page.end(prices[index], at=price_end, size=9)
        page.end(amounts[index], at=amount_end, size=9)
        page.down(5 * mm)
    page.down(-3 * mm)
    page.rule()
    page.down(8 * mm)
    page.end(_("Total"), at=price_end, size=10, bold=True)
    page.end(total, at=amount_end, size=10, bold=True)
    page.down(10 * mm)
    if po.note:
        for text in po.note.splitlines()[:12]:
            page.need(10 * mm)
            page.text(text, size=9, own=True)
            page.down(4.5 * mm)
    page.need(10 * mm)
    page.down(4 * mm)
    page.paragraph(_("Please quote the purchase order number on the delivery note."), size=9)
