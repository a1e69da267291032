"""Checkout (issue 16): what is paid now and what on delivery is shown before the order is placed, by
the rules the order's payment then follows; a preferred delivery window is chosen, checked, stored on
the order and shown on the confirmation."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from orderloop.notifications.emails import order_summary
from orderloop.orders.models import Order
from orderloop.orders.services import shop_calendar
from orderloop.payments.selectors import payment_overview

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _cart(client: Client, shop, quantity: int = 2) -> None:
    client.post("/shop/cart/add/", {"variant": shop["S"].pk, "quantity": quantity, "next": "/shop/cart/"})


def _amount(html: str, testid: str) -> str | None:
    found = re.search(rf'data-testid="{testid}">([^<]+)<', html)
    return found.group(1).strip() if found else None


def _working_day(start: date) -> date:
    return shop_calendar().next_working_day(start)


def _saturday_after(start: date) -> date:
    return start + timedelta(days=(5 - start.weekday()) % 7)


def test_prepayment_now_and_the_rest_on_delivery_are_shown_before_placing_and_owed_after(
    shop, checkout_data, settings
):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PREPAYMENT_SHARE": "0.30"}
    client = Client(HTTP_ACCEPT_LANGUAGE="uk")
    _cart(client, shop)  # 2 × 500.00 + courier 120.00 = 1 120.00

    html = client.post("/shop/checkout/refresh/", checkout_data(payment_method="prepayment"), headers=HTMX)
    html = html.content.decode()
    assert _amount(html, "pay-now") == "336,00\xa0₴"  # 30 % of 1 120,00, in Ukrainian
    assert _amount(html, "pay-on-delivery") == "784,00\xa0₴"
    assert "Передоплата зараз" in html or "Prepayment now" in html

    # Changing the payment method re-renders the amounts (the radios post to the refresh).
    assert 'name="payment_method" value="cod"' in html and 'hx-post="/shop/checkout/refresh/"' in html
    cod = client.post("/shop/checkout/refresh/", checkout_data(payment_method="cod"), headers=HTMX)
    assert _amount(cod.content.decode(), "pay-now") is None
    assert _amount(cod.content.decode(), "pay-on-delivery") == "1\xa0120,00\xa0₴"
    transfer = client.post(
        "/shop/checkout/refresh/", checkout_data(payment_method="bank_transfer"), headers=HTMX
    )
    assert _amount(transfer.content.decode(), "pay-now") == "1\xa0120,00\xa0₴"
    assert _amount(transfer.content.decode(), "pay-on-delivery") is None
    # In English the amounts follow the English pattern.
    english = Client()
    _cart(english, shop, 1)
    page = english.post("/shop/checkout/refresh/", checkout_data(payment_method="prepayment"), headers=HTMX)
    now = _amount(page.content.decode(), "pay-now")
    assert now is not None and now.startswith("UAH") and now.endswith("186.00")  # 30 % of 620.00

    # Placed, the order owes exactly what the checkout showed.
    client.post("/shop/checkout/", checkout_data(payment_method="prepayment"))
    order = Order.objects.get(customer_email="olena@example.com", total_amount=Decimal("1120.00"))
    assert payment_overview(order_id=order.pk).due_now == Decimal("336.00")
    summary = order_summary(order, "uk")
    assert (summary["prepayment"], summary["cash_on_delivery"]) == ("336,00\xa0₴", "784,00\xa0₴")


def test_a_preferred_window_is_checked_next_to_its_fields_and_nothing_is_placed(shop, checkout_data):
    client = Client()
    _cart(client, shop)
    today = timezone.localdate()
    fine_day = _working_day(today + timedelta(days=8))
    cases = [
        ({"preferred_date": today.isoformat()}, "preferred_date", "The earliest day we can deliver is"),
        (
            {"preferred_date": (today + timedelta(days=40)).isoformat()},
            "preferred_date",
            "within the next 30 days",
        ),
        (
            {"preferred_date": _saturday_after(today + timedelta(days=8)).isoformat()},
            "preferred_date",
            "We do not deliver on that day. Please choose a working day.",
        ),
        (
            {
                "preferred_date": fine_day.isoformat(),
                "preferred_time_from": "14:00",
                "preferred_time_to": "10:00",
            },
            "preferred_time_to",
            "The window must end after it starts.",
        ),
        ({"preferred_time_from": "10:00"}, "preferred_date", "Choose the day of the time window."),
        ({"preferred_date": "31.02.2027"}, "preferred_date", "Enter a valid date."),
    ]
    for fields, field, message in cases:
        response = client.post("/shop/checkout/", checkout_data(**fields))
        assert response.status_code == 422, fields
        html = response.content.decode()
        error = re.search(rf'id="id_{field}-error" role="alert">([^<]+)<', html)
        assert error is not None and message in error.group(1), (fields, error)
    assert not Order.objects.exists()


def test_the_window_is_stored_on_the_order_and_shown_on_the_confirmation(shop, checkout_data):
    client = Client()
    _cart(client, shop)
    page = client.get("/shop/checkout/").content.decode()
    assert 'data-testid="delivery-window"' in page and 'type="date" name="preferred_date"' in page
    earliest = re.search(r'name="preferred_date"[^>]* min="([\d-]+)"', page)
    assert earliest is not None and date.fromisoformat(earliest.group(1)) > timezone.localdate()
    day = _working_day(timezone.localdate() + timedelta(days=8))
    response = client.post(
        "/shop/checkout/",
        checkout_data(preferred_date=day.isoformat(), preferred_time_from="10:00", preferred_time_to="14:00"),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.preferred_date, order.preferred_time_from, order.preferred_time_to) == (
        day,
        time(10),
        time(14),
    )
    # The confirmation promises that day and window (the one delivery promise every place shows).
    confirmation = client.get(response["Location"]).content.decode()
    shown = re.search(r'data-testid="promise">(.+?)</p>', confirmation)
    assert shown is not None and f"{day.day}, {day.year}, 10:00–14:00" in strip_tags(shown.group(1))
    # In the customer's language.
    ukrainian = Client(HTTP_ACCEPT_LANGUAGE="uk").get(response["Location"]).content.decode()
    shown = re.search(r'data-testid="promise">(.+?)</p>', ukrainian)
    assert shown is not None and strip_tags(shown.group(1)).endswith(f"{day.year}\u202fр., 10:00–14:00")


def test_a_pickup_books_no_window(shop, checkout_data):
    client = Client()
    _cart(client, shop)
    refresh = client.post(
        "/shop/checkout/refresh/", checkout_data(delivery_method="store_pickup"), headers=HTMX
    )
    assert 'data-testid="delivery-window"' not in refresh.content.decode()
    response = client.post(
        "/shop/checkout/",
        checkout_data(delivery_method="store_pickup", preferred_date=timezone.localdate().isoformat()),
    )
    assert response.status_code == 302
    assert Order.objects.get().preferred_date is None
