"""PDFs of returns (reportlab): the shop's own return label (RMA number as Code 128) and the credit note
(rendered only from the note's own snapshot, like invoices). Text in DejaVu Sans when installed (see
payments/invoices.py), codes in Courier; text goes through core/pdftext.py (Arabic joined and right to
left, the layout mirrored for an Arabic document, names and addresses in their own direction)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from orderloop.core.money import format_money
from orderloop.core.pdftext import Writer, is_rtl
from orderloop.core.pdftext import width as text_width
from orderloop.payments.invoices import FONT_CANDIDATES

from .models import CreditNote, ReturnMethod
from .shipping_port import ReturnParcel

CODE_FONT = "Courier"
FONT_NAME = "OrderloopSans"  # the invoices' font: registered once, whoever draws first
BOLD_NAME = "OrderloopSans-Bold"


def _fonts() -> tuple[str, str]:
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


GAP = 4 * mm
SIDE = 90 * mm


def render_return_label(parcel: ReturnParcel, *, compress: bool = True) -> bytes:
    """An A6 label: to (the shop's return address), from (the customer), the RMA barcode, the items."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    width, height = A6
    language = parcel.language or settings.LANGUAGE_CODE
    with translation.override(language):
        canvas = Canvas(buffer, pagesize=A6, pageCompression=1 if compress else 0)
        canvas.setTitle(_("Return label %(number)s") % {"number": parcel.rma_number})
        canvas.setSubject(parcel.rma_number)
        page = Writer(
            canvas,
            regular=regular,
            bold=bold,
            rtl=is_rtl(language),
            left=8 * mm,
            right=width - 8 * mm,
            top=height - 12 * mm,
            bottom=6 * mm,
        )
        page.text(_("Return"), size=13, bold=True, room=page.line_width * 0.5)
        page.end(parcel.rma_number, size=11, code=True)
        page.down(8 * mm)
        page.text(pgettext("parcel recipient", "To"), size=8, bold=True)
        for line in parcel.recipient:
            page.down(4.5 * mm)
            page.text(line, size=10, own=True)
        page.down(6.5 * mm)
        page.text(pgettext("parcel sender", "From"), size=8, bold=True)
        for line in (*parcel.sender, parcel.sender_phone):
            if line:
                page.down(3.8 * mm)
                page.text(line, size=8, own=True)
        page.down(8 * mm)
        barcode = Code128(parcel.rma_number, barHeight=16 * mm, barWidth=0.38 * mm, humanReadable=True)
        barcode.drawOn(canvas, max(page.left, (width - barcode.width) / 2), page.y - 16 * mm)
        page.down(26 * mm)
        page.text(_("Order %(number)s") % {"number": parcel.order_number}, size=8, bold=True)
        for item in parcel.items[:6]:
            page.down(3.6 * mm)
            page.text(item, size=7, own=True)
        if parcel.method == ReturnMethod.POST:
            hint = _("Stick this label on the parcel and hand it in at any post office.")
        elif parcel.method == ReturnMethod.COURIER_PICKUP:
            hint = _("Stick this label on the parcel; the courier collects it from you.")
        else:
            hint = _("Stick this label on the parcel and drop it off at a pickup point.")
        lines = page.lines(hint, room=page.line_width, size=7)[:2]
        page.y = 6 * mm + 3.2 * mm * (len(lines) - 1)
        page.paragraph(lines, size=7, leading=3.2 * mm)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _money(amount: Decimal | str, currency: str, language: str) -> str:
    return format_money(Decimal(str(amount)), currency, language)


def render_credit_note_pdf(note: CreditNote, *, compress: bool = True) -> bytes:
    """The credit note's PDF, from what the note stored when it was issued."""
    regular, bold = _fonts()
    language = note.language or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    width, height = A4
    with translation.override(language):
        rtl = is_rtl(language)
        title = _("Credit note %(number)s") % {"number": note.number}
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(title)
        canvas.setSubject(f"{note.number} {note.order_number} {note.return_number}")
        canvas.setKeywords([note.number, note.order_number, note.return_number])
        page = Writer(
            canvas,
            regular=regular,
            bold=bold,
            rtl=rtl,
            left=20 * mm,
            right=width - 20 * mm,
            top=height - 25 * mm,
            bottom=25 * mm,
            header=title,
        )
        page.text(_("Credit note"), size=18, bold=True)
        page.end(note.number, size=12, code=True)
        page.down(10 * mm)
        facts = [
            (label, value)
            for label, value in (
                (_("Order"), note.order_number),
                (_("Return"), note.return_number),
                (_("Invoice"), note.invoice_number),
                (_("Issued"), date_format(note.issued_at.date(), "DATE_FORMAT")),
            )
            if value
        ]
        value_at = max([40 * mm] + [text_width(label, regular, 10, rtl=rtl) + GAP for label, _value in facts])
        for label, value in facts:
            page.text(label, size=10)
            page.text(value, at=value_at, size=10)
            page.down(5 * mm)
        page.down(4 * mm)
        page.side_by_side(
            (
                _("Seller"),
                [
                    note.seller.get("beneficiary", ""),
                    note.seller.get("address", ""),
                    note.seller.get("tax_id", ""),
                ],
            ),
            (
                _("Customer"),
                [
                    note.customer.get("name", ""),
                    *note.customer.get("address", []),
                    note.customer.get("email", ""),
                ],
            ),
            at=SIDE,
        )
        page.down(11 * mm)

        totals = [(_("Goods"), note.goods_amount, False)]
        if note.delivery_amount:
            totals.append((_("Delivery"), note.delivery_amount, False))
        if note.fee_amount:
            totals.append((_("Return shipping"), -note.fee_amount, False))
        if note.deduction_amount:
            totals.append((_("Deduction"), -note.deduction_amount, False))
        totals.append((_("Total credited"), note.total_amount, True))
        credited = [_money(line["amount"], note.currency, language) for line in note.lines]
        total_texts = [_money(amount, note.currency, language) for _label, amount, _strong in totals]
        (qty_end, amount_end), item_room = page.end_columns(
            [
                (_("Qty"), [str(line.get("quantity", "")) for line in note.lines]),
                (_("Credited"), credited + total_texts),
            ],
            size=10,
            gap=GAP,
        )
        titles = [(_("Item"), 0.0, False), (_("Qty"), qty_end, True), (_("Credited"), amount_end, True)]
        page.table_titles(titles)
        for index, line in enumerate(note.lines):
            if page.need(35 * mm):
                page.table_titles(titles)
            name = f"{line.get('name', '')} ({line.get('sku', '')})"
            page.text(name, size=9, own=True, room=item_room)
            page.end(str(line.get("quantity", "")), at=qty_end, size=9)
            page.end(credited[index], at=amount_end, size=9)
            page.down(5 * mm)
        page.down(-3 * mm)
        page.rule()
        page.down(8 * mm)
        for (label, _amount, strong), amount in zip(totals, total_texts, strict=True):
            page.end(label, at=qty_end, size=10, bold=strong)
            page.end(amount, at=amount_end, size=10, bold=strong)
            page.down(5.5 * mm)
        page.down(4 * mm)
        if note.settlement == "exchange":
            text = _("Settled by a replacement order; any difference is refunded or due separately.")
        else:
            text = _("Refunded to the original payment method (or by bank transfer for cash payments).")
        page.paragraph(text, size=9)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
