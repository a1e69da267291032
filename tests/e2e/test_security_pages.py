"""Issue 17 in a real browser (Chromium), in English and Arabic (right to left): the staff lockout message,
the change-history panels, and the return's documents reached through permission-checked and signed
links. Set SECURITY_SHOTS=/some/dir to keep the screenshots."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.core import history
from orderloop.core.services import api_token_create
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.orders.models import DeliveryMethod
from orderloop.returns import selectors as return_selectors
from orderloop.returns import services as return_services
from orderloop.returns.photos import PhotoUpload
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import place
from tests.returns.conftest import deliver

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass!"
LOCKED = {
    "en": "Too many failed logins for this username",
    "ar": "محاولات دخول فاشلة كثيرة لاسم المستخدم هذا",
}


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("SECURITY_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _language(page: Any, live_server: Any, language: str) -> None:
    page.context.add_cookies([{"name": "orderloop_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_locked_username_sees_why(page: Any, live_server: Any, make_staff: Any, language: str) -> None:
    make_staff("Manager", username="maria", password=PASSWORD)
    for n in range(10):
        Client().post("/login/", {"username": "maria", "password": f"wrong-{n}"})
    _language(page, live_server, language)
    page.goto("/login/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    message = page.get_by_test_id("locked-out")
    expect(message).to_be_visible()
    expect(message).to_contain_text(LOCKED[language])
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert "/login/" in page.url
    _shot(page, f"lockout-{language}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_history_panels(page: Any, live_server: Any, login: Any, make_staff: Any, language: str) -> None:
    admin = make_staff("Admin", username="root-admin", password=PASSWORD)
    manager = make_staff("Manager", username="maria")
    product = Product.objects.create(handle="linen-tee", name="Linen tee")
    variant = Variant.objects.create(
        product=product, sku="TEE-S", price_amount=Decimal("500.00"), currency="UAH", attributes={"size": "S"}
    )
    token = api_token_create(user=manager, name="erp sync")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    api.patch("/api/v1/variants/TEE-S", {"price": "550.00"}, content_type="application/json")
    with history.acting(admin):
        variant.refresh_from_db()
        variant.weight_g = 240
        variant.save()
        method = DeliveryMethod.objects.create(
            code="courier", name="Courier", kind="courier", price_amount=Decimal("80"), currency="UAH"
        )
        method.price_amount = Decimal("95")
        method.save()
    _language(page, live_server, language)
    login("root-admin", PASSWORD)
    page.goto(f"/catalog/{product.pk}/")
    panel = page.get_by_test_id("history")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("maria")
    expect(panel).to_contain_text("550.00")
    expect(panel).to_contain_text(token.token.prefix)
    panel.scroll_into_view_if_needed()
    _shot(page, f"history-product-{language}")
    page.goto("/settings/history/")
    expect(page.locator("#history-delivery")).to_contain_text("95.00")
    expect(page.locator("#history-staff")).to_contain_text("maria")
    _shot(page, f"history-page-{language}")
    page.goto("/settings/api-tokens/")
    expect(page.get_by_test_id("history")).to_contain_text("erp sync")
    _shot(page, f"history-tokens-{language}")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_return_documents_open_through_checked_links(
    page: Any,
    live_server: Any,
    login: Any,
    make_staff: Any,
    methods: None,  # noqa: F811
    language: str,
) -> None:
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(handle="tee", name="Tee")
    variant = Variant.objects.create(
        product=product, sku="TEE-S", price_amount=Decimal("100"), currency="UAH"
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=5, actor=None)
    order = deliver(place(("TEE-S", 1), payment_method_code="cod", channel="phone"))
    rma = return_services.return_open(
        order_id=order.pk,
        lines=[
            return_services.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")
        ],
        method="post",
        channel="portal",
        actor=None,
        photos=[PhotoUpload(name="parcel.png", content=_png())],
    )
    return_services.return_label_create(rma_id=rma.pk)
    make_staff("Manager", username="maria", password=PASSWORD)
    _language(page, live_server, language)

    # The customer's signed link to the label works; a tampered one is not found.
    token = return_selectors.return_token(rma.number)
    page.goto(f"/shop/returns/{token}/")
    label_link = page.locator(f"a[href$='/shop/returns/{token}/label.pdf']")
    expect(label_link).to_be_visible()
    _shot(page, f"documents-customer-{language}")
    assert page.request.get(label_link.get_attribute("href")).body().startswith(b"%PDF")
    assert page.request.get(f"/shop/returns/{token[:-2]}xx/label.pdf").status == 404
    # Nothing under /media/.
    rma.refresh_from_db()
    assert page.request.get(f"/media/{rma.label_file.name}").status == 404

    # Staff: only after logging in, with the permission.
    assert page.request.get(f"/returns/{rma.number}/label.pdf", max_redirects=0).status == 302
    login("maria", PASSWORD)
    page.goto(f"/returns/{rma.number}/")
    staff_label = page.locator(f"a[href$='/returns/{rma.number}/label.pdf']").first
    expect(staff_label).to_be_visible()
    photo = page.locator("a[href*='/returns/photos/'], img[src*='/returns/photos/']").first
    expect(photo).to_be_visible()
    _shot(page, f"documents-staff-{language}")
    assert page.request.get(staff_label.get_attribute("href")).body().startswith(b"%PDF")
