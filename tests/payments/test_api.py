"""API contracts of /api/v1/payments: shapes, Idempotency-Key, errors and roles (401/403)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.orders.models import OrderStatus
from orderloop.payments import domain
from orderloop.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db

BASE = "/api/v1/payments"


def post(client: Client, url: str, body: dict | None = None, **headers: str):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


@pytest.fixture
def manager(api_client):
    return api_client("Manager")


def test_order_payments_shape(manager, make_order):
    order = make_order("prepayment", confirm=True)
    post(manager, f"{BASE}/orders/{order.number}/transfers", {"amount": "66.00", "reference": "TX-9"})
    response = manager.get(f"{BASE}/orders/{order.number}")
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == "partially_paid"
    assert data["payment_kind"] == "prepayment"
    assert data["total"] == {"amount": "220.00", "currency": "UAH"}
    assert data["paid"] == {"amount": "66.00", "currency": "UAH"}
    assert data["due_now"]["amount"] == "0.00"
    assert data["outstanding"]["amount"] == "154.00"
    assert data["prepayment"]["amount"] == "66.00"
    assert data["payment_reference"] == domain.payment_reference(order.number)
    (payment,) = data["payments"]
    assert (payment["provider"], payment["status"], payment["provider_reference"]) == (
        "bank",
        "captured",
        "TX-9",
    )
    assert data["invoice"] is None and data["refunds"] == [] and data["payment_request"] is None


def test_transfer_with_idempotency_key_records_once(manager, make_order):
    order = make_order("bank_transfer", confirm=True)
    url = f"{BASE}/orders/{order.number}/transfers"
    first = post(manager, url, {"amount": "220.00"}, **{"Idempotency-Key": "k-1"})
    again = post(manager, url, {"amount": "220.00"}, **{"Idempotency-Key": "k-1"})
    other = post(manager, url, {"amount": "1.00"}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_cod_collected_and_refunds_with_idempotency(manager, make_order):
    order = make_order("cod")
    collected = post(manager, f"{BASE}/orders/{order.number}/cod-collected", {"amount": "220.00"})
    assert collected.status_code == 201
    url = f"{BASE}/orders/{order.number}/refunds"
    first = post(manager, url, {"amount": "20.00", "reason": "Scratch"}, **{"Idempotency-Key": "r-1"})
    again = post(manager, url, {"amount": "20.00", "reason": "Scratch"}, **{"Idempotency-Key": "r-1"})
    assert first.status_code == 201, first.json()
    (refund,) = first.json()
    assert (refund["status"], refund["amount"]["amount"]) == ("pending", "20.00")
    assert again.json() == first.json()
    assert Refund.objects.count() == 1

    confirmed = post(manager, f"{BASE}/refunds/{refund['id']}/confirm", {"reference": "OUT-1"})
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "succeeded"
    assert manager.get(f"{BASE}/orders/{order.number}").json()["state"] == "partially_refunded"


def test_errors_have_codes(manager, make_order):
    order = make_order("cod")
    too_much = post(manager, f"{BASE}/orders/{order.number}/cod-collected", {"amount": "999.00"})
    assert (too_much.status_code, too_much.json()["code"]) == (422, "amount_too_large")
    bad = post(manager, f"{BASE}/orders/{order.number}/cod-collected", {"amount": "abc"})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert bad.json()["details"] == {"amount": "Not a decimal amount."}
    missing = manager.get(f"{BASE}/orders/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "order_not_found")
    nothing = post(manager, f"{BASE}/orders/{order.number}/refunds", {"amount": "1.00", "reason": "x"})
    assert (nothing.status_code, nothing.json()["code"]) == (422, "amount_too_large")
    cod_intent = post(manager, f"{BASE}/orders/{order.number}/intents")
    assert (cod_intent.status_code, cod_intent.json()["code"]) == (409, "wrong_payment_method")
    assert manager.get(f"{BASE}/invoices/2026-999999.pdf").json()["code"] == "invoice_not_found"


def test_invoice_issue_and_pdf(manager, make_order):
    order = make_order("bank_transfer")
    issued = post(manager, f"{BASE}/orders/{order.number}/invoice")
    assert issued.status_code == 201
    data = issued.json()
    assert data["amount_due"] == {"amount": "220.00", "currency": "UAH"}
    assert post(manager, f"{BASE}/orders/{order.number}/invoice").status_code == 200
    pdf = manager.get(data["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert manager.get(f"{BASE}/orders/{order.number}").json()["invoice"]["number"] == data["number"]


def test_bank_statement_upload(manager, make_order):
    order = make_order("bank_transfer", confirm=True)
    content = f"amount,reference,id\n220.00,{domain.payment_reference(order.number)},T1\n5.00,hello,T2\n"
    response = manager.post(
        f"{BASE}/bank-statements",
        {"file": SimpleUploadedFile("s.csv", content.encode(), content_type="text/csv")},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["rows_total"], data["rows_matched"], data["rows_unmatched"]) == (2, 1, 1)
    assert [row["outcome"] for row in data["rows"]] == ["matched", "no_reference"]


def test_webhook_needs_no_token_but_a_signature(make_order, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    response = Client().post(f"{BASE}/stripe/webhook", data="{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"


# (method, path template, body, role → expected status). 401 without a token for every one.
ENDPOINTS = [
    ("get", "/orders/{n}", None, "payments.view_payment"),
    ("post", "/orders/{n}/transfers", {"amount": "1.00"}, "payments.record_transfer"),
    ("post", "/orders/{n}/cod-collected", {"amount": "1.00"}, "payments.record_cod"),
    ("post", "/orders/{n}/refunds", {"amount": "1.00", "reason": "x"}, "payments.add_refund"),
    ("post", "/orders/{n}/intents", None, "payments.add_payment"),
    ("post", "/orders/{n}/invoice", None, "payments.issue_invoice"),
    ("post", "/refunds/1/confirm", None, "payments.confirm_refund"),
    ("post", "/1/capture", None, "payments.capture_payment"),
]
ALLOWED = {
    "payments.view_payment": {"Admin", "Manager", "Support"},
    "payments.record_transfer": {"Admin", "Manager"},
    "payments.record_cod": {"Admin", "Manager", "Courier"},
    "payments.add_refund": {"Admin", "Manager"},
    "payments.add_payment": {"Admin", "Manager"},
    "payments.issue_invoice": {"Admin", "Manager"},
    "payments.confirm_refund": {"Admin", "Manager"},
    "payments.capture_payment": {"Admin", "Manager"},
}


def _call(client: Client, method: str, url: str, body: dict | None):
    return post(client, url, body) if method == "post" else client.get(url)


def test_role_matrix(api_client, make_order):
    order = make_order("cod")
    clients = {
        role: api_client(role) for role in ("Admin", "Manager", "Warehouse", "Courier", "Support", "Analyst")
    }
    for method, path, body, perm in ENDPOINTS:
        url = BASE + path.format(n=order.number)
        assert _call(Client(), method, url, body).status_code == 401, path
        for role, client in clients.items():
            status = _call(client, method, url, body).status_code
            if role in ALLOWED[perm]:
                assert status != 403, (role, path)
            else:
                assert status == 403, (role, path, status)
