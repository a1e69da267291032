"""Nobody guesses their way in through the shop (issue 17): customer sign-in and checkout are throttled
(429 with Retry-After), and `next` never leads off the site."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from orderloop.customers.services import customer_register
from orderloop.orders.models import Order

pytestmark = pytest.mark.django_db


def add(client: Client, variant, next_url: str = "/shop/cart/"):
    return client.post("/shop/cart/add/", {"variant": variant.pk, "quantity": 1, "next": next_url})


def test_ten_wrong_passwords_lock_the_customer_account_for_a_while(shop) -> None:
    customer_register(email="olena@example.com", password="a-long-pass-phrase", name="Olena")
    client = Client()
    wrong = [
        client.post(
            "/shop/account/sign-in/", {"email": "olena@example.com", "password": f"guess-{n}"}
        ).status_code
        for n in range(10)
    ]
    assert wrong == [422] * 10
    right = {"email": "olena@example.com", "password": "a-long-pass-phrase"}
    # From another address too: the account itself is locked, the right password included.
    locked = Client(REMOTE_ADDR="203.0.113.50").post("/shop/account/sign-in/", right)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 14 * 60
    assert 'data-testid="sign-in-locked"' in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert Client().post("/shop/account/sign-in/", right).status_code == 302


def test_guessing_coupon_codes_at_checkout_is_throttled(shop, checkout_data) -> None:
    client = Client()
    add(client, shop["S"])
    answers = [
        client.post("/shop/checkout/refresh/", checkout_data(coupon_code=f"GUESS{n}")).status_code
        for n in range(21)
    ]
    assert answers[:20] == [200] * 20 and answers[20] == 429
    # The checkout itself now answers 429 for that address, and places nothing.
    refused = client.post("/shop/checkout/", checkout_data())
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Order.objects.count() == 0
    other = Client(REMOTE_ADDR="198.51.100.99")
    add(other, shop["S"])
    assert other.post("/shop/checkout/", checkout_data(checkout_token="other")).status_code == 302


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "https://evil.example/cart", "javascript:alert(1)"]
)
def test_the_cart_never_redirects_off_site(shop, target: str) -> None:
    response = add(Client(), shop["S"], next_url=target)
    assert response.status_code == 302 and response["Location"] == "/shop/cart/"


def test_the_cart_goes_back_to_the_product_page(shop) -> None:
    response = add(Client(), shop["S"], next_url="/shop/p/linen-tee/?sku=TEE-S")
    assert response["Location"] == "/shop/p/linen-tee/?sku=TEE-S"


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example/"])
def test_sign_in_never_redirects_off_site(shop, target: str) -> None:
    customer_register(email="olena@example.com", password="a-long-pass-phrase", name="Olena")
    response = Client().post(
        "/shop/account/sign-in/",
        {"email": "olena@example.com", "password": "a-long-pass-phrase", "next": target},
    )
    assert response.status_code == 302 and response["Location"] == "/shop/account/"
