"""The audit trail of master data (issue 17): who changed a price, a coupon, a supplier price, a delivery
or payment method, a return policy, a role or an API token, when, from what to what, shown on the
object's page — for changes on pages, through API tokens, by commands and by services."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from orderloop.catalog import csv_io
from orderloop.catalog.models import Product, Variant
from orderloop.core import history
from orderloop.core.services import api_token_create, user_assign_role
from orderloop.orders.models import DeliveryMethod, PaymentMethod
from orderloop.promotions.models import Coupon
from orderloop.purchasing.models import Supplier, SupplierItem
from orderloop.returns.models import ReturnPolicy

pytestmark = pytest.mark.django_db


def _page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _history_block(html: str) -> str:
    return html.split('data-testid="history"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def tee(db: Any) -> Variant:
    product = Product.objects.create(handle="tee", name="Tee")
    return Variant.objects.create(
        product=product, sku="TEE-1", price_amount=Decimal("100.00"), currency="UAH"
    )


def test_a_price_changed_through_an_api_token_shows_who_and_from_what_to_what(
    make_staff: Callable[..., User], tee: Variant
) -> None:
    manager = make_staff("Manager", username="maria")
    token = api_token_create(user=manager, name="erp")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    assert (
        api.patch("/api/v1/variants/TEE-1", {"price": "120.00"}, content_type="application/json").status_code
        == 200
    )
    block = _history_block(_page(manager, f"/catalog/{tee.product_id}/"))
    assert "maria" in block and f"API token {token.token.prefix}" in block
    assert "100.00" in block and "120.00" in block and "TEE-1" in block


def test_a_price_changed_by_a_catalog_import_is_the_importers(
    make_staff: Callable[..., User], tee: Variant
) -> None:
    manager = make_staff("Manager", username="maria")
    plan = csv_io.build_plan("sku,price\nTEE-1,90.00\n", default_currency="UAH")
    csv_io.apply_plan(plan, actor=manager)
    [entry] = [e for e in history.entries(Variant.history.filter(id=tee.pk)) if e.changes]
    assert entry.who == "maria" and entry.via == "import"
    assert [(c.old, c.new) for c in entry.changes] == [("100.00", "90.00")]


def test_coupon_supplier_price_and_return_policy_pages_show_their_history(
    make_staff: Callable[..., User], tee: Variant
) -> None:
    manager = make_staff("Manager", username="maria")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=manager).plaintext}")
    created = api.post(
        "/api/v1/coupons",
        {"code": "WELCOME10", "kind": "percent", "value": "10"},
        content_type="application/json",
    )
    assert created.status_code == 201
    with history.acting(manager):
        coupon = Coupon.objects.get(code="WELCOME10")
        coupon.value = Decimal("15")
        coupon.save()
    block = _history_block(_page(manager, "/coupons/"))
    assert "WELCOME10" in block and "10.00" in block and "15.00" in block and "maria" in block

    supplier = Supplier.objects.create(code="acme", name="Acme", currency="UAH")
    for price in ("40.00", "42.50"):
        response = api.put(
            "/api/v1/suppliers/acme/prices", {"sku": "TEE-1", "price": price}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    block = _history_block(_page(manager, f"/purchasing/suppliers/{supplier.code}/"))
    assert "40.00" in block and "42.50" in block and "TEE-1" in block
    assert SupplierItem.history.count() == 2

    client = Client()
    client.force_login(manager)
    for days in ("30", "45"):
        saved = client.post(
            "/returns/policies/",
            {"country": "SE", "window_days": days, "methods": ["post"], "refund_due_days": "14"},
        )
        assert saved.status_code == 302
    block = _history_block(_page(manager, "/returns/policies/"))
    assert "SE" in block and "30" in block and "45" in block and "maria" in block
    assert ReturnPolicy.history.filter(history_user=manager).count() >= 2


def test_api_tokens_show_who_issued_and_who_revoked_them(make_staff: Callable[..., User]) -> None:
    admin = make_staff("Admin", username="root-admin")
    integration = make_staff("Manager", username="maria")
    token = api_token_create(user=integration, name="erp").token
    client = Client()
    client.force_login(admin)
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 302
    block = _history_block(_page(admin, "/settings/api-tokens/"))
    assert f"{token.prefix}… erp" in block and "root-admin" in block and "revoked" in block.lower()
    # The token's owner sees their own tokens' history, not other people's.
    other = api_token_create(user=admin, name="admin-only").token
    assert other.prefix not in _history_block(_page(integration, "/settings/api-tokens/"))


def test_roles_and_methods_have_their_history_page(make_staff: Callable[..., User]) -> None:
    admin = make_staff("Admin", username="root-admin")
    wes = make_staff("Warehouse", username="wes")
    with history.acting(admin):
        user_assign_role(user=wes, role="Support")
        method = DeliveryMethod.objects.create(
            code="courier", name="Courier", kind="courier", price_amount=Decimal("80"), currency="UAH"
        )
        method.price_amount = Decimal("95")
        method.save()
        PaymentMethod.objects.create(code="cash", name="Cash", kind="cod")
    html = _page(admin, "/settings/history/")
    delivery = html.split('id="history-delivery"', 1)[1].split('id="history-payment"', 1)[0]
    assert "courier" in delivery and "80.00" in delivery and "95.00" in delivery and "root-admin" in delivery
    staff = html.split('id="history-staff"', 1)[1]
    assert "wes" in staff and "Support" in staff and "added" in staff
    roles = html.split('id="history-roles"', 1)[1].split('id="history-staff"', 1)[0]
    assert "Warehouse" in roles and "setup_roles" in roles
    assert Group.history.filter(name="Analyst").exists()
    # A role without the permission does not see it.
    client = Client()
    client.force_login(make_staff("Courier", username="kostya"))
    assert client.get("/settings/history/").status_code == 403
