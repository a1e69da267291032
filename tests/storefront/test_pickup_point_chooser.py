"""The checkout's pickup-point chooser: a pickup-point option whose carrier has imported points offers
them (the city's first; with htmx it follows the city typed, without JavaScript a button shows them),
the chosen point becomes the order's address, and a point must be chosen."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from orderloop.orders.models import Order
from orderloop.shipping.models import Carrier, PickupPoint

from .test_pages import add

pytestmark = pytest.mark.django_db

SEED = import_module("orderloop.shipping.migrations.0002_seed_carriers_services_and_delivery_mapping")


@pytest.fixture
def points(shop):
    SEED.seed(apps, None)
    carrier = Carrier.objects.get(code="nova_poshta")
    now = timezone.now()
    made = {}
    for ref, number, city in (("wh-1", "1", "Kyiv"), ("wh-2", "2", "Kyiv"), ("wh-9", "9", "Lviv")):
        made[ref] = PickupPoint.objects.create(
            carrier=carrier, external_id=ref, number=number, name=f"Branch №{number}", address=f"{city}, Main St {number}",
            city=city, country="UA", imported_at=now, opening_hours="Mon 08:00-20:00",
        )  # fmt: skip
    return made


def test_pickup_point_option_offers_the_citys_points_and_places_the_chosen_one(shop, points, checkout_data):
    client = Client()
    add(client, shop["S"])
    quote = client.post(
        "/shop/checkout/refresh/", checkout_data(delivery_method="pickup_point", city="Kyiv", line1="")
    ).content.decode()
    assert 'data-testid="pickup-point"' in quote
    assert "Branch №1, Kyiv, Main St 1" in quote and "Branch №2" in quote
    assert "Branch №9" not in quote  # another city

    missing = client.post(
        "/shop/checkout/",
        checkout_data(delivery_method="pickup_point", city="Kyiv", line1="", postal_code=""),
    )
    assert missing.status_code == 422
    block = missing.content.decode().split('data-field="pickup_point"')[1].split("</div>")[0]
    assert "Choose the pickup point" in block and 'aria-invalid="true"' in block
    assert not Order.objects.exists()

    placed = client.post(
        "/shop/checkout/",
        checkout_data(
            delivery_method="pickup_point",
            city="Kyiv",
            line1="",
            postal_code="",
            pickup_point=str(points["wh-2"].pk),
        ),
    )
    assert placed.status_code == 302, placed.content.decode()[:1500]
    order = Order.objects.get()
    assert (order.ship_city, order.ship_line1) == ("Kyiv", points["wh-2"].label)


def test_without_javascript_a_button_shows_the_points_of_the_city(shop, points, checkout_data):
    client = Client()
    add(client, shop["S"])
    page = client.post(
        "/shop/checkout/",
        checkout_data(delivery_method="pickup_point", city="Lviv", line1="", refresh_points="1"),
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Branch №9" in html and "Branch №1," not in html
    assert not Order.objects.exists()


def test_a_point_of_another_carrier_or_country_is_refused(shop, points, checkout_data):
    store = Carrier.objects.get(code="postnord")
    foreign = PickupPoint.objects.create(
        carrier=store, external_id="SP-1", name="ICA", city="Kyiv", country="UA", imported_at=timezone.now()
    )
    client = Client()
    add(client, shop["S"])
    response = client.post(
        "/shop/checkout/",
        checkout_data(delivery_method="pickup_point", city="Kyiv", pickup_point=str(foreign.pk)),
    )
    assert response.status_code == 422 and not Order.objects.exists()
