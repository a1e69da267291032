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
            "bank_iban": "UA21 3223 1300 0002 6007 2335 6600 1",
            "bank_holder": "Olena Shevchenko",
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


# --- Issue 16: the account for a COD refund, truthful statuses, the warehouse list ---------------------

IBAN = "UA21 3223 1300 0002 6007 2335 6600 1"


def _form(line_id: int, **extra: Any) -> dict[str, Any]:
    return {f"qty_{line_id}": "1", f"reason_{line_id}": "wrong_size", "method": "post", **extra}


def test_the_return_form_asks_for_the_iban_of_a_cash_on_delivery_order(delivered: Any) -> None:
    order = delivered(("TEE-S", 2))  # cash on delivery
    line = order.lines.get()
    client = _shop("en")
    url = f"/shop/orders/{tracking_token(order.number)}/return/"
    form = client.get(url).content.decode()
    assert 'data-testid="return-iban"' in form and 'data-testid="return-holder"' in form
    assert 'value="Olena Shevchenko"' in form  # the holder prefilled with the customer's name
    missing = client.post(url, _form(line.pk, bank_holder="Olena Shevchenko"))
    assert missing.status_code == 422 and b'data-testid="iban-error"' in missing.content
    invalid = client.post(
        url, _form(line.pk, bank_iban="UA21 3223 1300 0002 6007 2335 6600 2", bank_holder="O")
    )
    assert invalid.status_code == 422 and b"Not a valid IBAN." in invalid.content
    assert not ReturnRequest.objects.exists()
    done = client.post(url, _form(line.pk, bank_iban=IBAN, bank_holder="Olena Shevchenko"))
    assert done.status_code == 302
    assert ReturnRequest.objects.get().bank_iban == "UA213223130000026007233566001"


def test_a_card_order_return_form_does_not_ask_for_an_iban(card_delivered: Any) -> None:
    order = card_delivered(("TEE-S", 1))
    page = _shop("en").get(f"/shop/orders/{tracking_token(order.number)}/return/")
    assert page.status_code == 200 and b'data-testid="return-iban"' not in page.content


def test_a_decompression_bomb_photo_is_a_form_error_not_a_server_error(delivered: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.returns.test_settlement import bomb_png

    order = delivered(("TEE-S", 1), method="bank_transfer")
    line = order.lines.get()
    response = _shop("en").post(
        f"/shop/orders/{tracking_token(order.number)}/return/",
        _form(
            line.pk,
            bank_iban=IBAN,
            bank_holder="Olena",
            photos=[SimpleUploadedFile("huge.png", bomb_png(), content_type="image/png")],
        ),
    )
    assert response.status_code == 422
    assert b'data-testid="photos-error"' in response.content and b"huge.png" in response.content
    assert not ReturnRequest.objects.exists()


def _refunded_by_transfer(delivered: Any, *, quantity: int = 1) -> ReturnRequest:
    from orderloop.returns import services

    order = delivered(("TEE-S", 2))
    rma = services.return_open(
        order_id=order.pk,
        lines=[
            services.LineInput(order_line_id=order.lines.get().pk, quantity=quantity, reason="wrong_size")
        ],
        method="post",
        channel="portal",
        actor=None,
        bank_iban=IBAN,
        bank_holder="Olena Shevchenko",
    )
    services.return_label_create(rma_id=rma.pk)
    services.return_receive(rma_id=rma.pk, actor=None)
    line = rma.lines.get()
    services.return_inspect(
        rma_id=rma.pk,
        items=[services.InspectionInput(line_id=line.pk, quantity=line.quantity, grade="as_new")],
        actor=None,
    )
    return services.return_refund(rma_id=rma.pk, actor=None)


def test_the_shop_pages_say_the_refund_is_on_its_way_until_the_transfer_is_confirmed(delivered: Any) -> None:
    from orderloop.returns import selectors, services

    rma = _refunded_by_transfer(delivered)
    client = _shop("en")
    page = client.get(f"/shop/returns/{selectors.return_token(rma.number)}/").content.decode()
    assert 'data-status="refund_pending"' in page and "Refund pending" in page
    assert "is on its way" in page and "We refunded" not in page
    track = client.get(f"/shop/orders/{tracking_token(rma.order.number)}/").content.decode()
    assert "your refund of" in track and "is on its way" in track
    assert 'data-testid="returned-items"' in track and 'data-sku="TEE-S" data-quantity="1"' in track

    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-9")
    page = client.get(f"/shop/returns/{selectors.return_token(rma.number)}/").content.decode()
    assert 'data-status="refunded"' in page and "We refunded" in page and "is on its way" not in page
    track = client.get(f"/shop/orders/{tracking_token(rma.order.number)}/").content.decode()
    assert "Partially returned" in track  # 1 of 2 units: the order is not "Returned"
    # Paid at the door: a partial refund does not make the cash due again.
    assert 'data-testid="paid"' in track and "when you receive the order" not in track
    assert 'data-testid="return-items"' in track  # the other unit may still be returned


def test_staff_see_the_pending_refund_edit_the_iban_and_receive_into_each_warehouse_once(
    client: Any, make_staff: Any, delivered: Any
) -> None:
    from orderloop.inventory.models import Warehouse
    from orderloop.returns import services

    Warehouse.objects.create(code="lviv", name="Lviv", country="UA", city="Lviv", priority=2)
    order = delivered(("TEE-S", 2))
    rma = services.return_open(
        order_id=order.pk,
        lines=[services.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
    )
    client.force_login(make_staff("Manager"))
    detail = client.get(f"/returns/{rma.number}/").content.decode()
    select = re.search(r'<select id="receive-warehouse".*?</select>', detail, re.S).group(0)
    codes = re.findall(r'<option value="([^"]*)"', select)
    assert codes == ["kyiv", "lviv"]  # the receiving warehouse first and preselected, each once
    assert re.search(r'<option value="kyiv" selected>', select)
    assert 'data-testid="bank-details-missing"' in detail

    saved = client.post(
        f"/returns/{rma.number}/bank_details/", {"bank_iban": IBAN, "bank_holder": "Olena Shevchenko"}
    )
    assert saved.status_code == 302
    wrong = client.post(f"/returns/{rma.number}/bank_details/", {"bank_iban": "UA00", "bank_holder": "O"})
    assert wrong.status_code == 422 and b"Not a valid IBAN." in wrong.content
    detail = client.get(f"/returns/{rma.number}/").content.decode()
    assert "UA21 3223 1300 0002 6007 2335 6600 1" in detail

    assert client.post(f"/returns/{rma.number}/receive/", {"warehouse": "kyiv"}).status_code == 302
    line = rma.lines.get()
    client.post(
        f"/returns/{rma.number}/inspect/",
        {f"received_{line.pk}": "1", f"grade_{line.pk}": "as_new", f"refund_{line.pk}": "1"},
    )
    refund_form = client.get(f"/returns/{rma.number}/").content.decode()
    assert 'value="UA21 3223 1300 0002 6007 2335 6600 1"' in refund_form  # prefilled for the refund
    assert client.post(f"/returns/{rma.number}/refund/", {}).status_code == 302
    pending = client.get(f"/returns/{rma.number}/").content.decode()
    assert 'data-testid="rma-status" data-status="refund_pending"' in pending
    assert 'data-testid="bank-confirm"' in pending and 'data-testid="refund-pending-note"' in pending
    listed = client.get("/returns/?status=refund_pending").content.decode()
    assert f'data-number="{rma.number}"' in listed and '<option value="refund_pending" selected>' in listed


def test_an_exchanged_return_no_longer_shows_a_refund_due(
    client: Any, make_staff: Any, delivered: Any
) -> None:
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
    services.return_receive(rma_id=rma.pk, actor=None)
    client.force_login(make_staff("Manager"))
    assert b'data-testid="refund-due"' in client.get(f"/returns/{rma.number}/").content
    line = rma.lines.get()
    services.return_inspect(
        rma_id=rma.pk,
        items=[services.InspectionInput(line_id=line.pk, quantity=1, grade="as_new")],
        actor=None,
    )
    services.return_exchange(
        rma_id=rma.pk, items=[services.ExchangeItem(sku="TEE-M", quantity=1)], actor=None
    )
    detail = client.get(f"/returns/{rma.number}/").content.decode()
    assert 'data-status="exchanged"' in detail and 'data-testid="refund-due"' not in detail
    listed = client.get("/returns/").content.decode()
    row = re.search(rf'<tr data-testid="return-row" data-number="{rma.number}">.*?</tr>', listed, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert ReturnRequest.objects.get(pk=rma.pk).refund_due_at is not None
    assert cells[5].strip() == ""  # the "Refund due" column is empty once the return is settled


def test_the_order_list_filters_partially_returned_orders(
    client: Any, make_staff: Any, delivered: Any
) -> None:
    from orderloop.returns import services

    rma = _refunded_by_transfer(delivered)
    services.return_bank_refund_confirm(rma_id=rma.pk, actor=None, reference="OUT-10")
    other = delivered(("TEE-M", 1))
    client.force_login(make_staff("Manager"))
    listed = client.get("/orders/?status=partially_returned").content.decode()
    assert f'data-number="{rma.order.number}"' in listed and f'data-number="{other.number}"' not in listed
    assert '<option value="partially_returned"' in listed
    card = client.get(f"/orders/{rma.order.number}/").content.decode()
    assert 'data-status="partially_returned"' in card


def test_the_return_timeline_gives_reasons_in_words(client: Any, make_staff: Any, delivered: Any) -> None:
    from .test_services import _open

    order = delivered()
    rma = _open(order)  # through the portal, approved at once by the default policy
    client.force_login(make_staff("Manager"))
    client.cookies["orderloop_language"] = "uk"
    html = client.get(f"/returns/{rma.number}/").content.decode()
    reasons = re.findall(r'<span class="event-reason" data-code="([^"]*)">([^<]*)</span>', html)
    assert ("portal", "Портал повернень") in reasons
    assert ("policy", "Схвалено за правилами повернення") in reasons
