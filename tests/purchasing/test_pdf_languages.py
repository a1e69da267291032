"""The purchase order PDF in the supplier's language: Arabic joined and right to left (SKUs copyable as
they are), Ukrainian left to right, the column titles apart in both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from orderloop.catalog.models import Variant
from orderloop.purchasing import services
from orderloop.purchasing.models import Supplier
from orderloop.purchasing.pdf import render_purchase_order_pdf
from tests.pdf_reading import assert_shaped_arabic, dump, lines_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogues() -> None:
    call_command("compile_translations", verbosity=0)


def test_the_purchase_order_in_arabic_and_ukrainian(
    methods: None, stocked: Callable[..., Variant], supplier: Supplier, po_for: Callable[..., Any]
) -> None:
    shirt = stocked("SHIRT-AR", 0)
    po = po_for((shirt, 12), send=False)
    services.supplier_update(supplier=supplier, language="ar", actor=None)
    pdf = render_purchase_order_pdf(po)
    with translation.override("ar"):
        assert_shaped_arabic(
            pdf,
            translation.gettext("Purchase order"),
            translation.gettext("Deliver to"),
            translation.gettext("Unit price"),
            name="purchase-order",
        )
    drawn = lines_of(pdf, reading=False)
    assert any(po.number in line for line in drawn) and any("SHIRT-AR" in line for line in drawn)
    uk = render_purchase_order_pdf(po, language="uk")
    dump(uk, "purchase-order-uk.pdf")
    with translation.override("uk"):
        lines = lines_of(uk)
        assert lines[0].startswith(translation.gettext("Purchase order"))
        header = next(line for line in lines if line.startswith(translation.gettext("SKU")))
        for title in ("Item", "Qty", "Unit price", "Amount"):
            assert translation.gettext(title) in header
