"""Issue 16's screens in a real browser: a courier's failed attempt shows on the courier's route, as a
flag on the order card (reason, next attempt, links to the parcel and the payments), in the order list's
"Delivery failed" filter and on the customer's follow-the-order page; the phone-order form keeps the
express delivery staff chose when they copy a customer's last details, and a held order offers no
"Confirm" button."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.orders import services as order_services
from orderloop.orders.domain import AddressData, CustomerData, LineData
from orderloop.orders.models import Channel, Order
from orderloop.orders.promise import format_day
from orderloop.orders.services import shop_calendar
from orderloop.shipping import services
from orderloop.shipping.models import Shipment
from orderloop.storefront.selectors import tracking_url
from tests.fulfillment.conftest import Shop, boxes, ready_order, shop  # noqa: F401  (fixtures)
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.shipping.conftest import carriers, pack_order  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

SEED = import_module("orderloop.orders.migrations.0002_seed_delivery_and_payment_methods")
SEED_KINDS = import_module("orderloop.orders.migrations.0004_checkout_pricing_and_promised_date")


@pytest.fixture
def session(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """A page of a new browser context, signed in as `username` (or anonymous)."""
    contexts: list[Any] = []

    def open_page(username: str = "", password: str = "", locale: str = "en-US") -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if username:
            page.goto("/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit].primary")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_failed_delivery_on_the_route_the_card_the_list_and_the_customers_page(
    session: Any,
    shop: Shop,  # noqa: F811
    ready_order: Any,  # noqa: F811
    carriers: None,  # noqa: F811
    make_staff: Any,
) -> None:
    make_staff("Courier", username="kostya", password="route-pass-1")
    make_staff("Manager", username="maria", password="card-pass-1")
    order = ready_order(("TEE", 1))
    parcel = pack_order(order)[0]
    shipment = services.shipment_create_and_book(parcel_id=parcel.pk, actor=None)
    services.shipment_hand_over(shipment_id=shipment.pk, actor=None, courier_username="kostya")
    next_day = shop_calendar().next_working_day(timezone.localdate() + timedelta(days=1))

    # The courier: nobody at the door.
    courier = session("kostya", "route-pass-1")
    courier.goto("/shipping/courier/")
    stop = courier.locator(f'li[data-shipment="{shipment.pk}"]')
    stop.locator("select[name=reason]").select_option("not_home")
    stop.locator("input[name=note]").fill("Intercom broken")
    stop.get_by_role("button", name="Failed").click()
    expect(courier.locator(f'li[data-shipment="{shipment.pk}"]')).to_have_count(0)  # off today's route
    courier.goto(f"/shipping/courier/?date={next_day.isoformat()}")
    expect(courier.locator(f'li[data-shipment="{shipment.pk}"]')).to_contain_text("Delivery attempt failed")

    # The manager: the list's filter finds it, the card flags it and links the parcel and payments.
    manager = session("maria", "card-pass-1")
    manager.goto("/orders/")
    manager.select_option("#id_delivery_failed", "yes")
    rows = manager.locator("#order-results tr[data-number]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-number", order.number)
    expect(rows.first.locator(".delivery-failed-badge")).to_have_text("Delivery failed")
    rows.first.get_by_role("link", name=order.number).click()
    flag = manager.locator(f"#delivery-failed-{shipment.pk}")
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("Nobody at the address: Intercom broken")
    expect(flag).to_contain_text(f"Next attempt: {format_day(next_day, 'en')}")
    related = manager.locator("#related")
    expect(related.locator("#related-payments a")).to_have_attribute(
        "href", f"/payments/orders/{order.number}/"
    )
    related.locator("#related-shipments a").first.click()
    manager.wait_for_url(re.compile(rf"/shipping/shipments/{shipment.pk}/$"))
    expect(manager.get_by_test_id("shipment-status")).to_have_text("Delivery attempt failed")

    # The customer, in Ukrainian: the parcel could not be delivered, and when it comes again.
    customer = session(locale="uk-UA")
    customer.goto(urlsplit(tracking_url(order)).path)
    notice = customer.get_by_test_id("delivery-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Нам не вдалося доставити вашу посилку: за адресою нікого не було.")
    expect(notice.get_by_test_id("next-attempt")).to_contain_text(format_day(next_day, "uk"))

    # Delivered on the next attempt: the flag is gone from the card.
    services.delivery_mark_delivered(
        shipment_id=shipment.pk, actor=None, cash_collected=str(shipment.cod_amount)
    )
    manager.reload()
    expect(manager.locator(f"#delivery-failed-{shipment.pk}")).to_have_count(0)
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"


@pytest.fixture
def phone_shop(make_staff: Any) -> Variant:
    """Methods, six shirts in Kyiv, a manager, and an earlier web order of the customer by courier."""
    SEED.seed(apps, None)  # transactional tests flush the seeded rows
    SEED_KINDS.set_seeded_delivery(apps, None)
    make_staff("Manager", username="olha", password="phone-pass-1")
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    product = Product.objects.create(handle="linen-shirt", name="Linen shirt")
    variant = Variant.objects.create(
        product=product, sku="LIN-L", price_amount=Decimal("1299.00"), currency="UAH"
    )
    stock_adjust(variant=variant, warehouse=warehouse, delta=6, actor=None)
    order_services.order_place(
        channel=Channel.WEB,
        customer=CustomerData(name="Olena Shevchenko", phone="+380501234567", email="olena@example.com"),
        shipping_address=AddressData(country="UA", city="Kyiv", postal_code="01001", line1="Khreshchatyk 1"),
        delivery_method_code="door_delivery",
        payment_method_code="cod",
        lines=[LineData(sku="LIN-L", quantity=1)],
        actor=None,
    )
    return variant


def test_the_phone_form_keeps_express_when_copying_details_and_a_held_order_has_no_confirm(
    session: Any, phone_shop: Variant
) -> None:
    page = session("olha", "phone-pass-1")
    page.goto("/orders/new/")
    page.fill("#product-q", "Linen")
    page.locator('#product-results li[data-sku="LIN-L"] button.add-line').click()
    expect(page.locator('#lines-body tr.line-row[data-sku="LIN-L"]')).to_have_count(1)
    page.select_option("#id_delivery_method", "express")
    page.select_option("#id_priority", "normal")

    page.fill("#id_customer_phone", "050 123 45 67")
    match = page.locator("#customer-matches li").first
    expect(match).to_contain_text("Olena Shevchenko")
    match.locator("button.use-customer").click()
    expect(page.locator("#id_customer_name")).to_have_value("Olena Shevchenko")
    expect(page.locator("#id_delivery_method")).to_have_value("express")  # not the last order's courier
    expect(page.locator("#delivery-note")).to_contain_text("went by Courier to the door")
    page.select_option("#id_payment_method", "cod")
    page.click("#place-order")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(channel=Channel.PHONE)
    assert (order.delivery_method.code, order.priority) == ("express", "express")
    expect(page.locator("#handling .badge-express")).to_have_text("Express")

    # Put on hold: the card no longer offers to confirm it.
    expect(page.locator("#action-confirm")).to_be_visible()
    page.fill("#id_hold-reason", "Check the address")
    page.locator("#action-hold button[type=submit]").click()
    expect(page.locator("#hold-banner")).to_contain_text("Check the address")
    expect(page.locator("#action-confirm")).to_have_count(0)
