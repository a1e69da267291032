"""Payment services without Stripe: cash on delivery, transfers, prepayment, refunds paid by transfer,
the difference after an edit, invoices (numbering, immutability, PDF)."""

from __future__ import annotations

import base64
import re
import zlib
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from orderloop.orders import services as order_services
from orderloop.orders.models import Order, OrderStatus
from orderloop.payments import selectors, services
from orderloop.payments.errors import AmountTooLarge, NothingDue, RefundNotPending, WrongPaymentMethod
from orderloop.payments.invoices import render_invoice_pdf
from orderloop.payments.models import (
    ImmutableInvoice,
    Invoice,
    InvoiceCounter,
    OrderPaymentState,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentState,
    Refund,
    RefundStatus,
)

pytestmark = pytest.mark.django_db

D = Decimal


def state_of(order: Order) -> str:
    return OrderPaymentState.objects.get(order=order).state


def walk(order: Order, *statuses: str) -> None:
    for status in statuses:
        order_services.order_transition(order_id=order.pk, to=status, actor=None)


def test_cod_order_proceeds_unpaid_and_is_paid_when_cash_is_collected(make_order):
    order = make_order("cod", confirm=True)
    assert order.status == OrderStatus.CONFIRMED  # COD: no waiting for money
    assert selectors.payment_overview(order_id=order.pk).state == PaymentState.UNPAID
    walk(order, OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

    payment = services.payment_record_cod_collected(order_id=order.pk, amount="220.00", actor=None)

    assert (payment.provider, payment.status, payment.captured_amount) == ("cash", "captured", D("220.00"))
    assert state_of(order) == PaymentState.PAID
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED  # the order's own machine goes on untouched


def test_cod_collected_refuses_more_than_outstanding_and_other_methods(make_order):
    order = make_order("cod")
    with pytest.raises(AmountTooLarge):
        services.payment_record_cod_collected(order_id=order.pk, amount="220.01", actor=None)
    card = make_order("card")
    with pytest.raises(WrongPaymentMethod):
        services.payment_record_cod_collected(order_id=card.pk, amount="1", actor=None)
    assert not Payment.objects.exists()


def test_bank_transfer_marked_received_pays_the_awaiting_order(make_order):
    order = make_order("bank_transfer", confirm=True)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    services.payment_record_transfer(order_id=order.pk, amount="100.00", reference="BANK-1", actor=None)
    assert state_of(order) == PaymentState.PARTIALLY_PAID
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_PAID  # the table allows awaiting_payment → partially_paid
    services.payment_record_transfer(order_id=order.pk, amount="120.00", reference="BANK-2", actor=None)
    order.refresh_from_db()
    assert (order.status, state_of(order)) == (OrderStatus.PAID, PaymentState.PAID)


def test_prepayment_by_transfer_then_cod_collected(make_order):
    order = make_order("prepayment", confirm=True)
    overview = selectors.payment_overview(order_id=order.pk)
    assert (overview.prepayment, overview.due_now) == (D("66.00"), D("66.00"))
    services.payment_record_transfer(order_id=order.pk, amount="66.00", actor=None)
    order.refresh_from_db()
    assert (order.status, state_of(order)) == (OrderStatus.PARTIALLY_PAID, PaymentState.PARTIALLY_PAID)
    assert selectors.payment_overview(order_id=order.pk).due_now == 0

    # On to the warehouse, delivered, the courier collects the rest.
    walk(order, OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    services.payment_record_cod_collected(order_id=order.pk, amount="154.00", actor=None)
    assert state_of(order) == PaymentState.PAID


def test_prepayment_on_a_new_order_passes_through_awaiting_payment(make_order):
    order = make_order("prepayment")
    assert order.status == OrderStatus.NEW
    services.payment_record_transfer(order_id=order.pk, amount="66.00", actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_PAID
    moves = list(order.events.filter(kind="status_change").values_list("from_status", "to_status"))
    assert moves == [("new", "awaiting_payment"), ("awaiting_payment", "partially_paid")]


def test_fixed_prepayment_amount(make_order, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PREPAYMENT_AMOUNT": "50.00"}
    order = make_order("prepayment")
    assert selectors.payment_overview(order_id=order.pk).due_now == D("50.00")


def test_refunds_of_cash_wait_for_staff_then_partial_and_full(make_order):
    order = make_order("cod")
    services.payment_record_cod_collected(order_id=order.pk, amount="220.00", actor=None)

    (refund,) = services.refund_create(order_id=order.pk, amount="20.00", reason="Scratch", actor=None)
    assert refund.status == RefundStatus.PENDING  # to be paid back by bank transfer
    assert state_of(order) == PaymentState.PAID
    services.refund_confirm(refund_id=refund.pk, actor=None, reference="OUT-77")
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "OUT-77")
    assert state_of(order) == PaymentState.PARTIALLY_REFUNDED

    with pytest.raises(RefundNotPending):
        services.refund_confirm(refund_id=refund.pk, actor=None)
    with pytest.raises(AmountTooLarge):  # 200 left
        services.refund_create(order_id=order.pk, amount="200.01", reason="x", actor=None)

    (rest,) = services.refund_create(order_id=order.pk, amount="200.00", reason="Returned", actor=None)
    services.refund_confirm(refund_id=rest.pk, actor=None)
    assert state_of(order) == PaymentState.REFUNDED


def test_a_pending_refund_can_be_cancelled(make_order):
    order = make_order("cod")
    services.payment_record_cod_collected(order_id=order.pk, amount="220.00", actor=None)
    (refund,) = services.refund_create(order_id=order.pk, amount="20.00", reason="x", actor=None)
    services.refund_cancel(refund_id=refund.pk, actor=None)
    assert Refund.objects.get().status == RefundStatus.CANCELLED
    (again,) = services.refund_create(order_id=order.pk, amount="220.00", reason="all", actor=None)
    assert again.amount == D("220.00")


def _edit_total(order: Order, subtotal: str) -> None:
    """What an order edit does to the totals (orders/editing.py owns the real edit)."""
    Order.objects.filter(pk=order.pk).update(
        subtotal_amount=D(subtotal), total_amount=D(subtotal) + order.delivery_amount
    )


def test_edit_raising_the_total_asks_for_the_difference_with_a_signed_link(make_order):
    order = make_order("bank_transfer", confirm=True)
    services.payment_record_transfer(order_id=order.pk, amount="220.00", actor=None)
    _edit_total(order, "150.00")  # total 270.00

    result = services.payment_reconcile_after_edit(order_id=order.pk, actor=None)

    assert result.request is not None
    assert (result.request.amount, result.request.status) == (D("50.00"), PaymentRequestStatus.OPEN)
    assert result.refunds == []
    assert result.state.state == PaymentState.PARTIALLY_PAID
    assert (
        selectors.payment_request_from_token(result.payment_url.rstrip("/").split("/")[-1]) == result.request
    )
    page = Client().get(result.payment_url)
    assert page.status_code == 200
    assert selectors.payment_overview(order_id=order.pk).payment_reference in page.content.decode()

    # Paying the difference closes the request; a tampered link is a 404.
    services.payment_record_transfer(order_id=order.pk, amount="50.00", actor=None)
    assert PaymentRequest.objects.get().status == PaymentRequestStatus.PAID
    assert state_of(order) == PaymentState.PAID
    assert Client().get(result.payment_url[:-3] + "xyz/").status_code == 404


def test_edit_lowering_the_total_creates_a_refund_for_staff_to_confirm(make_order):
    order = make_order("bank_transfer", confirm=True)
    services.payment_record_transfer(order_id=order.pk, amount="220.00", actor=None)
    _edit_total(order, "70.00")  # total 190.00

    result = services.payment_reconcile_after_edit(order_id=order.pk, actor=None)
    (refund,) = result.refunds
    assert (refund.amount, refund.status) == (D("30.00"), RefundStatus.PENDING)
    assert result.request is None
    # Asking again does not double the refund.
    assert services.payment_reconcile_after_edit(order_id=order.pk, actor=None).refunds == []

    services.refund_confirm(refund_id=refund.pk, actor=None, reference="BACK-1")
    assert state_of(order) == PaymentState.PARTIALLY_REFUNDED


def test_edit_of_an_unpaid_order_needs_nothing(make_order):
    order = make_order("cod")
    _edit_total(order, "300.00")
    result = services.payment_reconcile_after_edit(order_id=order.pk, actor=None)
    assert (result.request, result.refunds, result.state.state) == (None, [], PaymentState.UNPAID)


# --- Invoices ------------------------------------------------------------------------------------------


def test_invoice_is_issued_once_with_a_gapless_number_and_a_snapshot(make_order, settings):
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "BANK_DETAILS": {"iban": "SE4550000000058398257466", "bank": "SEB"},
        "INVOICE_DUE_DAYS": 10,
    }
    first = services.invoice_issue(order_id=make_order("bank_transfer").pk, actor=None)
    second_order = make_order("prepayment")
    second = services.invoice_issue(order_id=second_order.pk, actor=None)
    again = services.invoice_issue(order_id=second_order.pk, actor=None)

    year = first.issued_at.year
    assert (first.number, second.number) == (f"{year}-000001", f"{year}-000002")
    assert again.pk == second.pk
    assert InvoiceCounter.objects.get(year=year).last_number == 2
    assert first.amount_due == D("220.00")
    assert second.amount_due == D("66.00")  # the prepayment
    assert (first.due_date - first.issued_at.date()).days == 10
    assert first.seller["iban"] == "SE4550000000058398257466"
    assert first.seller["beneficiary"] == settings.ORDERLOOP["SHOP_NAME"]
    assert first.payment_reference == OrderPaymentState.objects.get(order=first.order).payment_reference
    assert first.lines[0]["quantity"] == 1 and first.lines[0]["unit_price"] == "100.00"


def test_invoice_only_for_transfer_and_prepayment_orders(make_order):
    with pytest.raises(WrongPaymentMethod):
        services.invoice_issue(order_id=make_order("cod").pk, actor=None)
    paid = make_order("bank_transfer")
    services.payment_record_transfer(order_id=paid.pk, amount="220.00", actor=None)
    with pytest.raises(NothingDue):
        services.invoice_issue(order_id=paid.pk, actor=None)
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.exists()


def test_a_rolled_back_issue_gives_its_number_back(make_order):
    a, b = make_order("bank_transfer"), make_order("bank_transfer")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_issue(order_id=a.pk, actor=None)
        raise RuntimeError("the surrounding work failed")
    invoice = services.invoice_issue(order_id=b.pk, actor=None)
    assert invoice.sequence == 1


def test_invoices_are_immutable_in_the_model_and_in_the_database(make_order):
    invoice = services.invoice_issue(order_id=make_order("bank_transfer").pk, actor=None)
    invoice.amount_due = D("1.00")
    with pytest.raises(ImmutableInvoice):
        invoice.save()
    with pytest.raises(ImmutableInvoice):
        Invoice.objects.filter(pk=invoice.pk).update(amount_due=D("1.00"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE payments_invoice SET amount_due = 1 WHERE id = %s", [invoice.pk])
    assert Invoice.objects.get(pk=invoice.pk).amount_due == D("220.00")


def _pdf_text(pdf: bytes) -> str:
    """The text of every (possibly deflated) content stream and the document info."""
    chunks = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        data = match.group(1).strip()
        if data.endswith(b"~>"):  # ASCII85, then deflate (reportlab's default filters)
            data = base64.a85decode(data[:-2].replace(b"\n", b""), adobe=False)
        try:
            chunks.append(zlib.decompress(data).decode("latin-1"))
        except zlib.error:
            chunks.append(data.decode("latin-1"))
    return "\n".join(chunks)


@pytest.mark.parametrize("language", ["uk", "ar", "sv", "en", "ru"])
def test_invoice_pdf_renders_in_the_customer_language(make_order, language):
    from tests.orders.helpers import customer

    order = make_order("bank_transfer", customer=customer(language=language, name="Олена Шевченко"))
    invoice = services.invoice_issue(order_id=order.pk, actor=None)
    pdf = render_invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert f"({invoice.payment_reference})" in text  # drawn as plain text (Courier)
    assert f"({invoice.number})" in text
    assert invoice.seller["iban"] in text
    assert invoice.language == language


def test_invoice_pdf_uses_dejavu_when_installed(make_order):
    from pathlib import Path

    from tests.conftest import require_system_tool

    require_system_tool("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core")
    assert Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file()
    invoice = services.invoice_issue(order_id=make_order("bank_transfer").pk, actor=None)
    assert b"DejaVuSans" in render_invoice_pdf(invoice, compress=False)
