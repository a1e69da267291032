"""The return documents in the customer's language: the shop's own return label and the credit note,
Arabic joined and right to left (names and addresses in their own direction, codes as they are),
Ukrainian left to right."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from orderloop.returns.documents import render_credit_note_pdf, render_return_label
from orderloop.returns.models import CreditNote
from orderloop.returns.shipping_port import ReturnParcel
from tests.pdf_reading import assert_shaped_arabic, dump, lines_of


@pytest.fixture(autouse=True)
def _catalogues() -> None:
    call_command("compile_translations", verbosity=0)


def parcel(language: str) -> ReturnParcel:
    return ReturnParcel(
        rma_number="R1001-1",
        order_number="1001",
        method="post",
        language=language,
        sender=("علي حسن", "شارع الملك فهد 12", "الرياض 12211"),
        sender_phone="+966501234567",
        recipient=("Orderloop Demo Shop", "Khreshchatyk 1", "01001 Kyiv"),
        items=("1 × قميص كتان (TEE-M)",),
        weight_g=450,
    )


def note(language: str) -> CreditNote:
    """A credit note as issued (rendered from its own snapshot; never saved here)."""
    return CreditNote(
        number="CN2026-000001",
        year=2026,
        sequence=1,
        order_number="1001",
        return_number="R1001-1",
        invoice_number="2026-000001",
        language=language,
        issued_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        currency="UAH",
        goods_amount=Decimal("1299.00"),
        delivery_amount=Decimal("0"),
        fee_amount=Decimal("80.00"),
        deduction_amount=Decimal("0"),
        total_amount=Decimal("1219.00"),
        settlement="refund",
        lines=[{"name": "قميص كتان", "sku": "TEE-M", "quantity": 1, "amount": "1299.00"}],
        customer={
            "name": "علي حسن",
            "address": ["شارع الملك فهد 12", "01001 Kyiv"],
            "email": "ali@example.com",
        },
        seller={
            "beneficiary": "Orderloop Demo Shop",
            "address": "Khreshchatyk 1, 01001 Kyiv",
            "tax_id": "12345678",
        },
    )


def test_the_shops_return_label_in_arabic_and_ukrainian() -> None:
    pdf = render_return_label(parcel("ar"))
    with translation.override("ar"):
        assert_shaped_arabic(
            pdf, translation.gettext("Return"), "علي حسن", "شارع الملك فهد", name="shop-return-label"
        )
    drawn = lines_of(pdf, reading=False)
    assert any("R1001-1" in line for line in drawn) and any("01001 Kyiv" in line for line in drawn)
    uk = render_return_label(parcel("uk"))
    dump(uk, "shop-return-label-uk.pdf")
    with translation.override("uk"):
        assert lines_of(uk)[0].startswith(translation.gettext("Return"))


def test_the_credit_note_in_arabic_and_ukrainian() -> None:
    pdf = render_credit_note_pdf(note("ar"))
    with translation.override("ar"):
        assert_shaped_arabic(
            pdf,
            translation.gettext("Credit note"),
            translation.gettext("Total credited"),
            "قميص كتان",
            "علي حسن",
            name="credit-note",
        )
    assert any("CN2026-000001" in line for line in lines_of(pdf, reading=False))
    uk = render_credit_note_pdf(note("uk"))
    dump(uk, "credit-note-uk.pdf")
    with translation.override("uk"):
        lines = lines_of(uk)
        assert lines[0].startswith(translation.gettext("Credit note"))
        assert any(translation.gettext("Total credited") in line for line in lines)
