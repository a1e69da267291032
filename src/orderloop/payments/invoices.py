"""The invoice as a PDF (reportlab), in the customer's language, from the invoice's own snapshot.

Text is set in DejaVu Sans, which covers Latin, Cyrillic and Arabic letters (Debian's `fonts-dejavu-core`,
installed by scripts/test-setup.sh); without it reportlab's built-in Helvetica is used (Latin only).
Codes the bank needs (invoice number, IBAN, BIC, payment reference) are set in Courier so they stay
copyable in any viewer. Arabic is drawn letter by letter without shaping or right-to-left reordering
(reportlab has no bidi support without extra libraries): readable, not typographically right.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

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

from .models import Invoice

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
FONT_NAME = "OrderloopSans"
BOLD_NAME = "OrderloopSans-Bold"
CODE_FONT = "Courier"


def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu when installed, else Helvetica."""
    configured = settings.ORDERLOOP.get("INVOICE_FONT")
    candidates = (Path(configured),) if configured else FONT_CANDIDATES
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME, BOLD_NAME
    for path in candidates:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
            bold = path.with_name(path.name.replace(".ttf", "-Bold.ttf"))
            pdfmetrics.registerFont(TTFont(BOLD_NAME, str(bold if bold.is_file() else path)))
            return FONT_NAME, BOLD_NAME
    return "Helvetica", "Helvetica-Bold"


def _money(amount: str | Decimal, currency: str, language: str) -> str:
    return format_money(Decimal(str(amount)), currency, language)


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def render_invoice_pdf(invoice: Invoice, *, compress: bool = True) -> bytes:
    """The invoice's PDF. Renders only what the invoice stored when it was issued."""
    regular, bold = _fonts()
    language = invoice.language or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    with translation.override(language):
        title = _("Invoice %(number)s") % {"number": invoice.number}
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
        canvas.setTitle(title)
        canvas.setSubject(f"{invoice.number} {invoice.payment_reference}")
        canvas.setKeywords([invoice.number, invoice.payment_reference, invoice.order_number])
        canvas.setAuthor(invoice.seller.get("beneficiary", ""))
        _draw(canvas, invoice, language=language, regular=regular, bold=bold, title=title)
        canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, invoice: Invoice, *, language: str, regular: str, bold: str, title: str) -> None:
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm
    seller: dict[str, Any] = invoice.seller
    customer: dict[str, Any] = invoice.customer

    canvas.setFont(bold, 18)
    canvas.drawString(left, y, _("Invoice"))
    canvas.setFont(CODE_FONT, 12)
    canvas.drawRightString(right, y, invoice.number)
    y -= 10 * mm

    canvas.setFont(regular, 10)
    facts = [
        (_("Order"), invoice.order_number, False),
        (_("Issued"), date_format(invoice.issued_at.date(), "DATE_FORMAT"), False),
        (_("Due date"), date_format(invoice.due_date, "DATE_FORMAT"), False),
    ]
    for label, value, _code in facts:
        canvas.setFont(regular, 10)
        canvas.drawString(left, y, label)
        canvas.drawString(left + 40 * mm, y, value)
        y -= 5 * mm

    # Seller and buyer side by side.
    y -= 4 * mm
    top = y
    canvas.setFont(bold, 10)
    canvas.drawString(left, y, _("Seller"))
    canvas.drawString(left + 90 * mm, y, _("Bill to"))
    y -= 5 * mm
    canvas.setFont(regular, 10)
    seller_lines = [seller.get("beneficiary", ""), seller.get("address", ""), seller.get("tax_id", "")]
    for line in [s for s in seller_lines if s]:
        canvas.drawString(left, y, _fit(canvas, line, regular, 10, 85 * mm))
        y -= 5 * mm
    y2 = top - 5 * mm
    for line in [customer.get("name", ""), *customer.get("address", []), customer.get("email", "")]:
        if line:
            canvas.drawString(left + 90 * mm, y2, _fit(canvas, str(line), regular, 10, 80 * mm))
            y2 -= 5 * mm
    y = min(y, y2) - 6 * mm

    # Lines.
    columns = (left, left + 95 * mm, left + 115 * mm, right)
    canvas.setFont(bold, 9)
    canvas.drawString(columns[0], y, _("Item"))
    canvas.drawRightString(columns[1] + 15 * mm, y, _("Qty"))
    canvas.drawRightString(columns[2] + 25 * mm, y, _("Unit price"))
    canvas.drawRightString(columns[3], y, _("Amount"))
    y -= 2 * mm
    canvas.line(left, y, right, y)
    y -= 5 * mm
    canvas.setFont(regular, 9)
    for line in invoice.lines:
        if y < 60 * mm:
            canvas.showPage()
            canvas.setFont(regular, 9)
            y = height - 25 * mm
        name = f"{line.get('name', '')} ({line.get('sku', '')})"
        canvas.drawString(columns[0], y, _fit(canvas, name, regular, 9, 92 * mm))
        canvas.drawRightString(columns[1] + 15 * mm, y, str(line.get("quantity", "")))
        canvas.drawRightString(
            columns[2] + 25 * mm, y, _money(line["unit_price"], invoice.currency, language)
        )
        canvas.drawRightString(columns[3], y, _money(line["total"], invoice.currency, language))
        y -= 5 * mm
    canvas.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 3 * mm
    totals = [(_("Subtotal"), invoice.subtotal_amount, regular)]
    if invoice.discount_amount:
        totals.append((_("Discount"), -invoice.discount_amount, regular))
    totals += [
        (_("Delivery"), invoice.delivery_amount, regular),
        (_("Total"), invoice.total_amount, bold),
    ]
    if invoice.amount_due != invoice.total_amount:
        totals.append((_("To pay now by bank transfer"), invoice.amount_due, bold))
    for label, amount, font in totals:
        canvas.setFont(font, 10)
        canvas.drawRightString(columns[2] + 25 * mm, y, label)
        canvas.drawRightString(columns[3], y, _money(amount, invoice.currency, language))
        y -= 5.5 * mm
    if invoice.amount_due != invoice.total_amount:
        canvas.setFont(regular, 9)
        canvas.drawString(left, y, _("The rest is paid in cash on delivery."))
        y -= 5 * mm

    # Payment instructions.
    y -= 6 * mm
    canvas.setFont(bold, 11)
    canvas.drawString(left, y, _("Payment by bank transfer"))
    y -= 6 * mm
    instructions = [
        (_("Beneficiary"), seller.get("beneficiary", ""), False),
        (_("Bank"), seller.get("bank", ""), False),
        (_("IBAN"), seller.get("iban", ""), True),
        (_("BIC / SWIFT"), seller.get("bic", ""), True),
        (_("Amount"), _money(invoice.amount_due, invoice.currency, language), False),
        (_("Payment reference"), invoice.payment_reference, True),
        (_("Due date"), date_format(invoice.due_date, "DATE_FORMAT"), False),
    ]
    for label, value, is_code in instructions:
        if not value:
            continue
        canvas.setFont(regular, 10)
        canvas.drawString(left, y, label)
        canvas.setFont(CODE_FONT if is_code else regular, 10)
        canvas.drawString(left + 45 * mm, y, value)
        y -= 5.5 * mm
    y -= 3 * mm
    canvas.setFont(regular, 9)
    canvas.drawString(
        left,
        y,
        _fit(
            canvas,
            _("Please state the payment reference exactly, so that we can match your payment."),
            regular,
            9,
            right - left,
        ),
    )
    canvas.setTitle(title)
