"""Back-office payment pages: the order panel (htmx partial) and its actions, the statement upload."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.core.services import staff_user_get_or_create
from orderloop.payments import domain, services
from orderloop.payments.models import Payment, PaymentState, Refund

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def login(role: str) -> Client:
    user, _ = staff_user_get_or_create(username=f"page-{role.lower()}", role=role)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_panel_shows_state_reference_and_actions(roles, make_order):
    order = make_order("bank_transfer")
    manager = login("Manager")
    page = manager.get(f"/payments/orders/{order.number}/", headers=HTMX)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="order-payments"' in html
    assert 'data-payment-state="unpaid"' in html
    assert domain.payment_reference(order.number) in html
    assert "Mark transfer received" in html and "Issue invoice" in html
    assert "<html" not in html  # a partial


def test_panel_actions_record_and_rerender(roles, make_order):
    order = make_order("bank_transfer", confirm=True)
    manager = login("Manager")
    issued = manager.post(f"/payments/orders/{order.number}/invoice/", headers=HTMX)
    assert issued.status_code == 200
    assert "/payments/invoices/" in issued.content.decode()
    paid = manager.post(
        f"/payments/orders/{order.number}/transfer/",
        {"transfer-amount": "220.00", "transfer-reference": "B-1"},
        headers=HTMX,
    )
    assert paid.status_code == 200
    assert 'data-payment-state="paid"' in paid.content.decode()
    refund = manager.post(
        f"/payments/orders/{order.number}/refund/",
        {"refund-amount": "20.00", "refund-reason": "x"},
        headers=HTMX,
    )
    assert refund.status_code == 200
    pending = Refund.objects.get()
    confirm = manager.post(f"/payments/refunds/{pending.pk}/confirm/", {"reference": "OUT"}, headers=HTMX)
    assert 'data-payment-state="partially_refunded"' in confirm.content.decode()
    invoice_number = order.invoices.get().number
    pdf = manager.get(f"/payments/invoices/{invoice_number}.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_panel_shows_a_refused_action_as_an_error(roles, make_order):
    order = make_order("cod")
    response = login("Manager").post(
        f"/payments/orders/{order.number}/cod/", {"cod-amount": "999.00"}, headers=HTMX
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not Payment.objects.exists()


def test_roles_on_pages(roles, make_order):
    order = make_order("cod")
    assert login("Support").get(f"/payments/orders/{order.number}/").status_code == 200
    assert (
        login("Support").post(f"/payments/orders/{order.number}/cod/", {"cod-amount": "1"}).status_code == 403
    )
    assert login("Warehouse").get(f"/payments/orders/{order.number}/").status_code == 403
    assert Client().get(f"/payments/orders/{order.number}/").status_code == 302  # to the login page
    courier = login("Courier")
    assert courier.post(f"/payments/orders/{order.number}/cod/", {"cod-amount": "220.00"}).status_code == 302
    assert services.payment_state_sync(order_id=order.pk, actor=None).state == PaymentState.PAID


def test_statement_upload_page_reports_rows(roles, make_order):
    order = make_order("bank_transfer", confirm=True)
    manager = login("Manager")
    assert manager.get("/payments/statements/").status_code == 200
    content = f"amount;details\n220,00;{domain.payment_reference(order.number)}\n3,00;coffee\n"
    response = manager.post(
        "/payments/statements/", {"file": SimpleUploadedFile("bank.csv", content.encode())}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-outcome="matched"' in html and 'data-outcome="no_reference"' in html
    bad = manager.post("/payments/statements/", {"file": SimpleUploadedFile("bad.csv", b"x,y\n1,2\n")})
    assert bad.status_code == 400
