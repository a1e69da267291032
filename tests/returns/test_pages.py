"""Return pages: the storefront's policy page in every language, the portal, the request form (errors next
to the lines, never a 500), the follow-the-order entry point; the back office's list, scan, inspection,
refund and policy pages, each behind its role."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from orderloop.returns.models import ReturnRequest
from orderloop.storefront.selectors import tracking_token

pytestmark = pytest.mark.django_db(transaction=True)


def _shop(language: str) -> Client:
    client = Client()
    client.cookies["orderloop_language"] = language
    return client


@pytest.mark.parametrize("language", ["en", "uk", "ru", "sv", "ar"])
def test_the_policy_page_is_published_in_every_language(language: str, methods: None, settings: Any) -> None:
    response = _shop(language).get("/shop/return-policy/?country=SE")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert ('dir="rtl"' in html) is (language == "ar")
    assert 'data-testid="return-policy" data-country="SE" data-window-days="30"' in html


def test_the_portal_finds_the_order_by_number_and_email_or_phone(delivered: Any) -> None:
    order = delivered()
    client = _shop("sv")
    wrong = client.post("/shop/returns/", {"number": order.number, "contact": "someone@else.se"})
    assert wrong.status_code == 422 and b'data-testid="portal-error"' in wrong.content
    by_phone = client.post("/shop/returns/", {"number": order.number, "contact": "050 123 45 67"})
    assert by_phone.status_code == 302 and by_phone["Location"].endswith(
        f"/orders/{tracking_token(order.number)}/return/"
    )
    by_email = client.post("/shop/returns/", {"number": order.number, "contact": "OLENA@example.com"})
    assert by_email.status_code == 302


def test_the_follow_the_order_page_offers_the_return(delivered: Any) -> None:
    order = delivered()
    page = _shop("en").get(f"/shop/orders/{tracking_token(order.number)}/")
    assert b'data-testid="return-items"' in page.content


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_request_form_shows_errors_next_to_the_lines_and_accepts_photos(delivered: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = delivered(("TEE-S", 2))
    line = order.lines.get()
    client = _shop("sv")
    url = f"/shop/orders/{tracking_token(order.number)}/return/"
    assert client.get(url).status_code == 200
    no_reason = client.post(url, {f"qty_{line.pk}": "1", f"reason_{line.pk}": "", "method": "post"})
    assert no_reason.status_code == 422 and b'data-testid="line-error"' in no_reason.content
    bad_photo = client.post(
        url,
        {
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "damaged",
            "method": "post",
            "photos": [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
        },
    )
    assert bad_photo.status_code == 422 and b'data-testid="photos-error"' in bad_photo.content
    assert not ReturnRequest.objects.exists()
    done = client.post(
        url,
        {
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "damaged",
            "method": "post",
            "photos": [SimpleUploadedFile("stain.png", _png(), content_type="image/png")],
        },
    )
    assert done.status_code == 302
    rma = ReturnRequest.objects.get()
    assert rma.photos.count() == 1
    detail = client.get(done["Location"])
    assert b'data-testid="return-label"' in detail.content and rma.number.encode() in detail.content
    label = client.get(re.search(r'href="([^"]+label\.pdf)"', detail.content.decode()).group(1))
    assert b"".join(label.streaming_content).startswith(b"%PDF")


def test_a_closed_window_is_refused_with_the_reason(delivered: Any) -> None:
    order = delivered(days_ago=60)
    page = _shop("sv").get(f"/shop/orders/{tracking_token(order.number)}/return/")
    assert b'data-code="return_window_closed"' in page.content


def test_staff_pages_follow_the_roles(client: Any, make_staff: Any, delivered: Any) -> None:
    from orderloop.returns import services

    order = delivered(("TEE-S", 1), method="bank_transfer")
    rma = services.return_open(
        order_id=order.pk,
        lines=[services.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
    )
    services.return_label_create(rma_id=rma.pk)
    warehouse = make_staff("Warehouse")
    client.force_login(warehouse)
    assert client.get("/returns/").status_code == 200
    assert client.post("/returns/scan/", {"code": rma.number}).status_code == 302
    detail = client.get(f"/returns/{rma.number}/")
    assert b'data-testid="inspect-form"' in detail.content
    line = rma.lines.get()
    inspected = client.post(
        f"/returns/{rma.number}/inspect/",
        {
            f"received_{line.pk}": "1",
            f"grade_{line.pk}": "good",
            f"disposition_{line.pk}": "",
            f"refund_{line.pk}": "1",
        },
    )
    assert inspected.status_code == 302
    assert client.post(f"/returns/{rma.number}/refund/", {}).status_code == 403
    assert client.get("/returns/policies/").status_code == 403

    client.force_login(make_staff("Manager"))
    page = client.get(f"/returns/{rma.number}/")
    assert b'data-testid="refund-quote" data-due="220.00"' in page.content  # the whole order: delivery too
    refused = client.post(f"/returns/{rma.number}/refund/", {"bank_iban": "nope", "bank_holder": "O"})
    assert refused.status_code == 422
    assert (
        client.post(
            f"/returns/{rma.number}/refund/",
            {"bank_iban": "SE4550000000058398257466", "bank_holder": "Olena"},
        ).status_code
        == 302
    )
    assert client.get(f"/returns/{rma.number}/credit-note.pdf").content.startswith(b"%PDF")
    assert client.get("/returns/analytics/").status_code == 200
    saved = client.post(
        "/returns/policies/",
        {"country": "SE", "window_days": "7", "methods": ["post"], "refund_due_days": "14"},
    )
    assert saved.status_code == 422 and b'data-testid="window-error"' in saved.content

    client.force_login(make_staff("Courier"))
    assert client.get("/returns/").status_code == 403


def test_staff_open_a_return_for_a_customer(client: Any, make_staff: Any, delivered: Any) -> None:
    order = delivered(("TEE-S", 1))
    client.force_login(make_staff("Support"))
    form = client.get(f"/returns/new/?order={order.number}")
    assert form.status_code == 200
    line = order.lines.get()
    opened = client.post(
        "/returns/new/",
        {"order": order.number, f"qty_{line.pk}": "1", f"reason_{line.pk}": "damaged", "method": "drop_off"},
    )
    assert opened.status_code == 302
    rma = ReturnRequest.objects.get()
    assert (rma.opened_via, rma.opened_by.username) == ("staff", "support")
