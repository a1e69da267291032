"""PDFs of returns (reportlab): the shop's own return label (RMA number as Code 128) and the credit note
(rendered only from the note's own snapshot, like invoices). Text in DejaVu Sans when installed (see
payments/invoices.py), codes in Courier."""

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


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def render_return_label(parcel: ReturnParcel, *, compress: bool = True) -> bytes:
    """An A6 label: to (the shop's return address), from (the customer), the RMA barcode, the items."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    width, height = A6
    with translation.override(parcel.language or settings.LANGUAGE_CODE):
        canvas = Canvas(buffer, pagesize=A6, pageCompression=1 if compress else 0)
        canvas.setTitle(_("Return label %(number)s") % {"number": parcel.rma_number})
        canvas.setSubject(parcel.rma_number)
        left, right = 8 * mm, width - 8 * mm
        y = height - 12 * mm
        canvas.setFont(bold, 13)
        canvas.drawString(left, y, _("Return"))
        canvas.setFont(CODE_FONT, 11)
        canvas.drawRightString(right, y, parcel.rma_number)
        y -= 8 * mm
        canvas.setFont(bold, 8)
        canvas.drawString(left, y, pgettext("parcel recipient", "To"))
        y -= 4.5 * mm
        canvas.setFont(regular, 10)
        for line in parcel.recipient:
            canvas.drawString(left, y, _fit(line, regular, 10, right - left))
            y -= 4.5 * mm
        y -= 2 * mm
        canvas.setFont(bold, 8)
        canvas.drawString(left, y, pgettext("parcel sender", "From"))
        y -= 4 * mm
        canvas.setFont(regular, 8)
        for line in (*parcel.sender, parcel.sender_phone):
            if line:
                canvas.drawString(left, y, _fit(line, regular, 8, right - left))
                y -= 3.8 * mm
        y -= 4 * mm
        barcode = Code128(parcel.rma_number, barHeight=16 * mm, barWidth=0.38 * mm, humanReadable=True)
        barcode.drawOn(canvas, max(left, (width - barcode.width) / 2), y - 16 * mm)
        y -= 26 * mm
        canvas.setFont(bold, 8)
        canvas.drawString(left, y, _("Order %(number)s") % {"number": parcel.order_number})
        y -= 4 * mm
        canvas.setFont(regular, 7)
        for item in parcel.items[:6]:
            canvas.drawString(left, y, _fit(item, regular, 7, right - left))
            y -= 3.4 * mm
        if parcel.method == ReturnMethod.POST:
            hint = _("Stick this label on the parcel and hand it in at any post office.")
        elif parcel.method == ReturnMethod.COURIER_PICKUP:
            hint = _("Stick this label on the parcel; the courier collects it from you.")
        else:
            hint = _("Stick this label on the parcel and drop it off at a pickup point.")
        canvas.drawString(left, 6 * mm, _fit(hint, regular, 7, right - left))
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
    left, right = 20 * mm, width - 20 * mm
    with translation.override(language):
        title = _("Credit note %(number)s") % {"number": note.number}
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(title)
        canvas.setSubject(f"{note.number} {note.order_number} {note.return_number}")
        canvas.setKeywords([note.number, note.order_number, note.return_number])
        y = height - 25 * mm
        canvas.setFont(bold, 18)
        canvas.drawString(left, y, _("Credit note"))
        canvas.setFont(CODE_FONT, 12)
        canvas.drawRightString(right, y, note.number)
        y -= 10 * mm
        facts = [
            (_("Order"), note.order_number),
            (_("Return"), note.return_number),
            (_("Invoice"), note.invoice_number),
            (_("Issued"), date_format(note.issued_at.date(), "DATE_FORMAT")),
        ]
        for label, value in facts:
            if not value:
                continue
            canvas.setFont(regular, 10)
            canvas.drawString(left, y, label)
            canvas.drawString(left + 40 * mm, y, value)
            y -= 5 * mm
        y -= 4 * mm
        top = y
        canvas.setFont(bold, 10)
        canvas.drawString(left, y, _("Seller"))
        canvas.drawString(left + 90 * mm, y, _("Customer"))
        y -= 5 * mm
        canvas.setFont(regular, 10)
        for line in [
            note.seller.get("beneficiary", ""),
            note.seller.get("address", ""),
            note.seller.get("tax_id", ""),
        ]:
            if line:
                canvas.drawString(left, y, _fit(str(line), regular, 10, 85 * mm))
                y -= 5 * mm
        y2 = top - 5 * mm
        for line in [
            note.customer.get("name", ""),
            *note.customer.get("address", []),
            note.customer.get("email", ""),
        ]:
            if line:
                canvas.drawString(left + 90 * mm, y2, _fit(str(line), regular, 10, 80 * mm))
                y2 -= 5 * mm
        y = min(y, y2) - 6 * mm
        canvas.setFont(bold, 9)
        canvas.drawString(left, y, _("Item"))
        canvas.drawRightString(left + 120 * mm, y, _("Qty"))
        canvas.drawRightString(right, y, _("Credited"))
        y -= 2 * mm
        canvas.line(left, y, right, y)
        y -= 5 * mm
        canvas.setFont(regular, 9)
        for line in note.lines:
            if y < 50 * mm:
                canvas.showPage()
                canvas.setFont(regular, 9)
                y = height - 25 * mm
            name = f"{line.get('name', '')} ({line.get('sku', '')})"
            canvas.drawString(left, y, _fit(name, regular, 9, 100 * mm))
            canvas.drawRightString(left + 120 * mm, y, str(line.get("quantity", "")))
            canvas.drawRightString(right, y, _money(line["amount"], note.currency, language))
            y -= 5 * mm
        canvas.line(left, y + 2 * mm, right, y + 2 * mm)
        y -= 3 * mm
        totals = [(_("Goods"), note.goods_amount, regular)]
        if note.delivery_amount:
            totals.append((_("Delivery"), note.delivery_amount, regular))
        if note.fee_amount:
            totals.append((_("Return shipping"), -note.fee_amount, regular))
        if note.deduction_amount:
            totals.append((_("Deduction"), -note.deduction_amount, regular))
        totals.append((_("Total credited"), note.total_amount, bold))
        for label, amount, font in totals:
            canvas.setFont(font, 10)
            canvas.drawRightString(left + 130 * mm, y, label)
            canvas.drawRightString(right, y, _money(amount, note.currency, language))
            y -= 5.5 * mm
        y -= 4 * mm
        canvas.setFont(regular, 9)
        if note.settlement == "exchange":
            text = _("Settled by a replacement order; any difference is refunded or due separately.")
        else:
            text = _("Refunded to the original payment method (or by bank transfer for cash payments).")
        canvas.drawString(left, y, _fit(text, regular, 9, right - left))
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
