"""The customer's journey through the shop's pages with Django's test client: catalogue, product with
availability, a cart that survives in its cookie, checkout with errors next to the fields, placing
orders by every method, the follow-the-order page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from orderloop.customers.models import Address, CustomerOrder
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.links import tracking_token
from orderloop.orders.models import Order
from orderloop.storefront.models import Cart, CartLine

pytestmark = pytest.mark.django_db


def add(client: Client, variant, quantity: int = 1):
    return client.post(
        "/shop/cart/add/", {"variant": variant.pk, "quantity": quantity, "next": "/shop/cart/"}
    )


def test_catalogue_lists_products_with_prices_in_the_customers_language(shop):
    page = Client(HTTP_ACCEPT_LANGUAGE="uk").get("/shop/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Лляна футболка" in html and "Футболки" in html
    assert "500,00" in html  # Ukrainian number format
    found = Client().get("/shop/?q=linen").content.decode()
    assert "Linen tee" in found and "Tote bag" not in found


def test_product_page_shows_each_variant_and_its_live_availability(shop):
    client = Client()
    html = client.get("/shop/p/linen-tee/").content.decode()
    assert 'name="attr-size" value="S"' in html and 'name="attr-size" value="M"' in html
    assert 'name="attr-colour" value="White"' in html
    assert "In stock" in html  # S has 10, selected first
    partial = client.get("/shop/p/linen-tee/availability/?sku=TEE-M").content.decode()
    assert "Only 1 left" in partial
    assert 'hx-trigger="every' in partial  # it keeps polling
    assert client.get("/shop/p/no-such-thing/").status_code == 404


def test_the_cart_lives_in_a_cookie_and_is_there_in_a_new_session(shop):
    client = Client()
    assert add(client, shop["S"], 2).status_code == 302
    add(client, shop["M"])
    add(client, shop["S"])  # adds up on the same line
    cookie = client.cookies["orderloop_cart"]
    assert cookie["max-age"] == 90 * 24 * 3600  # not a session cookie: closing the browser keeps it
    fresh = Client()
    fresh.cookies["orderloop_cart"] = cookie.value
    html = fresh.get("/shop/cart/").content.decode()
    quantities = dict(CartLine.objects.values_list("variant__sku", "quantity"))
    assert quantities == {"TEE-S": 3, "TEE-M": 1}
    assert "1,000.00" not in html and "2,000.00" in html  # 4 × 500.00


def test_a_forged_cart_cookie_finds_no_cart(shop):
    add(Client(), shop["S"])
    token = Cart.objects.get().token
    client = Client()
    client.cookies["orderloop_cart"] = token  # unsigned
    assert "Your cart is empty." in client.get("/shop/cart/").content.decode()


def test_cart_flags_a_line_with_more_than_is_in_stock(shop):
    client = Client()
    add(client, shop["M"], 3)  # only 1 left
    html = client.get("/shop/cart/").content.decode()
    assert "Only 1 left." in html
    assert "/shop/checkout/" not in html.split("Continue shopping")[1]


def test_checkout_places_a_cod_order_empties_the_cart_and_shows_it(shop, checkout_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    add(client, shop["S"], 2)
    form = client.get("/shop/checkout/").content.decode()
    assert 'name="checkout_token"' in form and "door_delivery" in form
    # Only what the country and the delivery need is required.
    for field, required in (
        ("city", True),
        ("line1", True),
        ("postal_code", True),
        ("line2", False),
        ("comment", False),
    ):
        block = form.split(f'data-field="{field}"')[1].split("</div>")[0]
        assert ('aria-required="true"' in block) is required, field

    response = client.post("/shop/checkout/", checkout_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert (order.channel, order.status, order.priority) == ("web", "new", "normal")
    assert (order.customer_phone, order.customer_language) == ("+380501234567", "uk")
    assert order.total_amount == 1120  # 2 × 500 + 120 delivery
    assert order.promised_date is not None and order.promised_date >= date.today()
    assert order.lines.filter(is_gift=True).count() == 1  # 1000.00 reaches the gift threshold
    assert not CartLine.objects.exists()
    assert ledger_mismatches() == []
    assert response["Location"].endswith(f"/shop/orders/{tracking_token(order.number)}/?placed=1")

    page = client.get(response["Location"]).content.decode()
    assert order.number in page
    assert "Дякуємо за замовлення!" in page  # the thank-you banner in Ukrainian
    assert "Лляна футболка" in page


def test_field_errors_show_next_to_the_fields_in_the_customers_language(shop, checkout_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    add(client, shop["S"])
    response = client.post("/shop/checkout/", checkout_data(city="", phone="123", postal_code="ABC"))
    assert response.status_code == 422
    html = response.content.decode()
    city_block = html.split('data-field="city"')[1].split("</div>")[0]
    assert "Це поле обов" in city_block  # "This field is required" in Ukrainian
    phone_block = html.split('data-field="phone"')[1].split("</div>")[0]
    assert 'aria-invalid="true"' in phone_block and "form-error" in phone_block
    assert "form-error" in html.split('data-field="postal_code"')[1].split("</div>")[0]
    assert not Order.objects.exists()
    assert CartLine.objects.count() == 1  # nothing lost


def test_store_pickup_asks_no_address_and_is_free(shop, checkout_data):
    client = Client()
    add(client, shop["S"])
    refreshed = client.post("/shop/checkout/refresh/", checkout_data(delivery_method="store_pickup"))
    assert 'data-testid="address-fields"' not in refreshed.content.decode()
    response = client.post(
        "/shop/checkout/", checkout_data(delivery_method="store_pickup", city="", postal_code="", line1="")
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.delivery_amount == 0 and order.ship_line1 == ""


def test_express_delivery_places_an_express_order_with_an_earlier_date(shop, checkout_data):
    client = Client()
    add(client, shop["S"])
    quote = client.post("/shop/checkout/refresh/", checkout_data()).content.decode()
    assert quote.count('data-testid="expected-date"') == 4  # every option shows its date
    client.post("/shop/checkout/", checkout_data(delivery_method="express"))
    express = Order.objects.get()
    assert express.priority == "express"
    client2 = Client()
    add(client2, shop["S"])
    client2.post("/shop/checkout/", checkout_data(delivery_method="pickup_point", checkout_token="tok-2"))
    pickup = Order.objects.exclude(pk=express.pk).get()
    assert express.promised_date < pickup.promised_date  # 1 transit day against 3


def test_submitting_the_same_checkout_twice_places_one_order(shop, checkout_data):
    client = Client()
    add(client, shop["S"])
    first = client.post("/shop/checkout/", checkout_data())
    add(client, shop["S"])  # the cart is refilled, then the old page is submitted again
    second = client.post("/shop/checkout/", checkout_data())
    assert Order.objects.count() == 1
    assert second.status_code == 302 and second["Location"].split("?")[0] == first["Location"].split("?")[0]


def test_coupon_is_applied_in_the_preview_and_on_the_order(shop, checkout_data):
    from orderloop.promotions.services import coupon_create

    coupon_create(code="WELCOME10", kind="percent", value="10")
    client = Client()
    add(client, shop["S"])
    preview = client.post("/shop/checkout/refresh/", checkout_data(coupon_code="welcome10")).content.decode()
    assert "Coupon applied." in preview and "50.00" in preview
    bad = client.post("/shop/checkout/refresh/", checkout_data(coupon_code="NOPE")).content.decode()
    assert "There is no coupon with this code." in bad

    response = client.post("/shop/checkout/", checkout_data(coupon_code="NOPE"))
    assert response.status_code == 422
    coupon_block = response.content.decode().split('class="coupon')[1].split("</div>\n  </div>")[0]
    assert "There is no coupon with this code." in coupon_block
    client.post("/shop/checkout/", checkout_data(coupon_code="welcome10"))
    order = Order.objects.get()
    assert (order.coupon_code, order.discount_amount, order.total_amount) == ("WELCOME10", 50, 570)


def test_sold_out_meanwhile_is_a_clear_error_and_nothing_is_written(shop, checkout_data):
    client = Client()
    add(client, shop["M"])
    other = Client()
    add(other, shop["M"])
    assert other.post("/shop/checkout/", checkout_data(checkout_token="other")).status_code == 302
    response = client.post("/shop/checkout/", checkout_data())
    assert response.status_code == 422
    assert "no longer available" in response.content.decode()
    assert Order.objects.count() == 1 and CartLine.objects.filter(variant=shop["M"]).count() == 1
    assert ledger_mismatches() == []


def test_bank_transfer_shows_the_bank_details_reference_and_invoice(shop, checkout_data):
    client = Client()
    add(client, shop["S"])
    response = client.post("/shop/checkout/", checkout_data(payment_method="bank_transfer"))
    order = Order.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "IBAN" in page and "RF" in page and "Invoice" in page
    invoice = client.get(f"/shop/orders/{tracking_token(order.number)}/invoice.pdf")
    assert invoice.status_code == 200 and invoice["Content-Type"] == "application/pdf"
    assert invoice.content.startswith(b"%PDF")


def test_a_tampered_tracking_link_is_not_found(shop, checkout_data):
    client = Client()
    add(client, shop["S"])
    client.post("/shop/checkout/", checkout_data())
    number = Order.objects.get().number
    assert client.get(f"/shop/orders/{number}:forged/").status_code == 404
    assert client.get(f"/shop/orders/{tracking_token(str(int(number) + 1))}/").status_code == 404


def test_an_account_autofills_the_next_checkout_and_keeps_its_orders(shop, checkout_data):
    client = Client()
    add(client, shop["S"])  # a guest cart first
    registered = client.post(
        "/shop/account/register/",
        {
            "name": "Olena Shevchenko",
            "email": "Olena@Example.com",
            "password": "a-long-pass-phrase",
            "next": "/shop/cart/",
        },
    )
    assert registered.status_code == 302 and registered["Location"] == "/shop/cart/"
    assert (
        CartLine.objects.get().cart.customer.email == "olena@example.com"
    )  # the guest cart is the account's now
    client.post("/shop/checkout/", checkout_data(line1="Volodymyrska 5", save_address="on"))
    order = Order.objects.get()
    assert CustomerOrder.objects.get().order == order
    assert Address.objects.get().line1 == "Volodymyrska 5"

    add(client, shop["S"])
    form = client.get("/shop/checkout/").content.decode()
    assert 'value="Volodymyrska 5"' in form and 'value="olena@example.com"' in form
    account = client.get("/shop/account/").content.decode()
    assert order.number in account

    client.post("/shop/account/sign-out/")
    assert client.get("/shop/account/").status_code == 302
    wrong = client.post("/shop/account/sign-in/", {"email": "olena@example.com", "password": "nope"})
    assert wrong.status_code == 422
    back = client.post(
        "/shop/account/sign-in/", {"email": "olena@example.com", "password": "a-long-pass-phrase"}
    )
    assert back.status_code == 302
    assert CartLine.objects.get().quantity == 1  # the account's cart again


def test_customers_never_reach_the_back_office(shop):
    client = Client()
    client.post(
        "/shop/account/register/",
        {"name": "Eve", "email": "eve@example.com", "password": "a-long-pass-phrase"},
    )
    assert client.get("/").status_code == 302  # the staff login, not the dashboard
    assert "/login/" in client.get("/").headers["Location"]


def test_arabic_pages_are_right_to_left(shop):
    html = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/shop/").content.decode()
    assert 'dir="rtl"' in html and 'lang="ar"' in html
