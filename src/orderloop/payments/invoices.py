"""The invoice as a PDF (reportlab), in the customer's language, from the invoice's own snapshot.

Text is set in DejaVu Sans, which covers Latin, Cyrillic and Arabic letters (Debian's `fonts-dejavu-core`,
installed by scripts/test-setup.sh); without it reportlab's built-in Helvetica is used (Latin only).
Codes the bank needs (invoice number, IBAN, BIC, payment reference) are set in Courier so they stay
copyable in any viewer. Text goes through core/pdftext.py: Arabic letters joined and set right to left,
names and addresses in their own direction, the layout mirrored for an Arabic invoice; the number
columns are as wide as their titles and values in the invoice's language.
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
from orderloop.core.pdftext import Writer, is_rtl
from orderloop.core.pdftext import width as text_width

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


GAP = 4 * mm  # between two columns
SIDE = 90 * mm  # where the second of two side-by-side blocks (seller, buyer) starts


def _draw(canvas: Canvas, invoice: Invoice, *, language: str, regular: str, bold: str, title: str) -> None:
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
        header=title,
    )
    seller: dict[str, Any] = invoice.seller
    customer: dict[str, Any] = invoice.customer

    page.text(_("Invoice"), size=18, bold=True)
    page.end(invoice.number, size=12, code=True)
    page.down(10 * mm)
    facts = [
        (_("Order"), invoice.order_number),
        (_("Issued"), date_format(invoice.issued_at.date(), "DATE_FORMAT")),
        (_("Due date"), date_format(invoice.due_date, "DATE_FORMAT")),
    ]
    value_at = max([40 * mm] + [text_width(label, regular, 10, rtl=rtl) + GAP for label, _value in facts])
    for label, value in facts:
        page.text(label, size=10)
        page.text(value, at=value_at, size=10)
        page.down(5 * mm)

    # Seller and buyer side by side.
    page.down(4 * mm)
    page.side_by_side(
        (_("Seller"), [seller.get("beneficiary", ""), seller.get("address", ""), seller.get("tax_id", "")]),
        (_("Bill to"), [customer.get("name", ""), *customer.get("address", []), customer.get("email", "")]),
        at=SIDE,
    )
    page.down(11 * mm)

    # Lines: the item takes what the three numbers leave.
    totals = [(_("Subtotal"), invoice.subtotal_amount, False)]
    if invoice.discount_amount:
        totals.append((_("Discount"), -invoice.discount_amount, False))
    totals += [(_("Delivery"), invoice.delivery_amount, False), (_("Total"), invoice.total_amount, True)]
    if invoice.amount_due != invoice.total_amount:
        totals.append((_("To pay now by bank transfer"), invoice.amount_due, True))
    money = {
        "unit": [_money(line["unit_price"], invoice.currency, language) for line in invoice.lines],
        "total": [_money(line["total"], invoice.currency, language) for line in invoice.lines],
        "totals": [_money(amount, invoice.currency, language) for _label, amount, _strong in totals],
    }
    (qty_end, unit_end, amount_end), item_room = page.end_columns(
        [
            (_("Qty"), [str(line.get("quantity", "")) for line in invoice.lines]),
            (_("Unit price"), money["unit"]),
            (_("Amount"), money["total"] + money["totals"]),
        ],
        size=10,
        gap=GAP,
    )
    titles = [(_("Item"), 0.0, False), (_("Qty"), qty_end, True), (_("Unit price"), unit_end, True)]
    titles.append((_("Amount"), amount_end, True))
    page.table_titles(titles)
    for index, line in enumerate(invoice.lines):
        if page.need(40 * mm):
            page.table_titles(titles)
        name = f"{line.get('name', '')} ({line.get('sku', '')})"
        page.text(name, size=9, own=True, room=item_room)
        page.end(str(line.get("quantity", "")), at=qty_end, size=9)
        page.end(money["unit"][index], at=unit_end, size=9)
        page.end(money["total"][index], at=amount_end, size=9)
        page.down(5 * mm)
    page.down(-3 * mm)
    page.rule()
    page.down(8 * mm)
    for (label, _amount, strong), amount in zip(totals, money["totals"], strict=True):
        page.end(label, at=unit_end, size=10, bold=strong)
        page.end(amount, at=amount_end, size=10, bold=strong)
        page.down(5.5 * mm)
    if invoice.amount_due != invoice.total_amount:
        page.text(_("The rest is paid in cash on delivery."), size=9)
        page.down(5 * mm)

    # Payment instructions.
    page.need(50 * mm)
    page.down(6 * mm)
    page.text(_("Payment by bank transfer"), size=11, bold=True)
    page.down(6 * mm)
    # (label, value, how it is drawn: a code as it is, a name in its own direction, or text)
    instructions = [
        (_("Beneficiary"), seller.get("beneficiary", ""), "name"),
        (_("Bank"), seller.get("bank", ""), "name"),
        (_("IBAN"), seller.get("iban", ""), "code"),
        (_("BIC / SWIFT"), seller.get("bic", ""), "code"),
        (_("Amount"), _money(invoice.amount_due, invoice.currency, language), "text"),
        (_("Payment reference"), invoice.payment_reference, "code"),
        (_("Due date"), date_format(invoice.due_date, "DATE_FORMAT"), "text"),
    ]
    value_at = max(
        [45 * mm] + [text_width(label, regular, 10, rtl=rtl) + GAP for label, *_rest in instructions]
    )
    for label, value, kind in instructions:
        if not value:
            continue
        page.text(label, size=10)
        page.text(value, at=value_at, size=10, code=kind == "code", own=kind == "name")
        page.down(5.5 * mm)
    page.down(3 * mm)
    page.paragraph(
        _("Please state the payment reference exactly, so that we can match your payment."), size=9
    )
    canvas.setTitle(title)
