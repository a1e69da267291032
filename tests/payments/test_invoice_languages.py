"""The invoice PDF reads right in the customer's language: Arabic joined and right to left (with the
bank's codes still copyable as they are), Ukrainian left to right."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from orderloop.payments import services
from orderloop.payments.invoices import render_invoice_pdf
from tests.orders.helpers import customer
from tests.pdf_reading import assert_shaped_arabic, dump, lines_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogues() -> None:
    call_command("compile_translations", verbosity=0)


def test_an_arabic_invoice_is_joined_and_right_to_left(make_order: Any) -> None:
    order = make_order("bank_transfer", customer=customer(language="ar", name="علي حسن"))
    invoice = services.invoice_issue(order_id=order.pk, actor=None)
    pdf = render_invoice_pdf(invoice)
    with translation.override("ar"):
        assert_shaped_arabic(
            pdf,
            translation.gettext("Invoice"),
            "علي حسن",
            translation.gettext("Payment by bank transfer"),
            name="invoice",
        )
    drawn = lines_of(pdf, reading=False)
    assert any(invoice.payment_reference in line for line in drawn)  # codes stay as they are


def test_a_ukrainian_invoice_reads_left_to_right(make_order: Any) -> None:
    order = make_order("bank_transfer", customer=customer(language="uk", name="Олена Шевченко"))
    invoice = services.invoice_issue(order_id=order.pk, actor=None)
    pdf = render_invoice_pdf(invoice)
    dump(pdf, "invoice-uk.pdf")
    lines = lines_of(pdf)
    with translation.override("uk"):
        assert any(line.startswith(translation.gettext("Invoice")) for line in lines)
        assert any(translation.gettext("Payment by bank transfer") in line for line in lines)
    assert any("Олена Шевченко" in line for line in lines)
