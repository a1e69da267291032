"""Product pictures where customers and staff see products (issue 16): the catalogue, the product page
(the chosen variant's picture and the gallery), the cart and the back office's order card."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.catalog import images, services
from orderloop.core.services import staff_user_get_or_create
from orderloop.orders.models import Order
from tests.catalog.pictures import picture

pytestmark = pytest.mark.django_db


def _add(product_id: int, colour: str, variant_id: int | None = None, alt: str = ""):
    (image,) = services.product_images_add(
        product_id=product_id,
        images=images.prepare_images([images.ImageUpload("p.png", picture(colour))]),
        variant_id=variant_id,
        alt_text=alt,
    )
    return image


def test_pictures_show_in_the_catalogue_product_page_cart_and_order_card(shop, checkout_data, roles, media):
    tee = shop["S"].product
    general = _add(tee.pk, "#eeeeee", alt="Linen tee, folded")
    medium = _add(tee.pk, "#1f6feb", variant_id=shop["M"].pk, alt="Linen tee M on a model")
    client = Client()

    catalogue = client.get("/shop/").content.decode()
    assert f'src="{general.url("catalogue")}"' in catalogue

    page = client.get("/shop/p/linen-tee/?sku=TEE-M").content.decode()
    assert (
        f'<img src="{medium.url("product")}" alt="Linen tee M on a model" data-testid="product-image">'
        in page
    )
    assert page.count('<ul class="product-gallery"') == 1 and general.url("cart") in page
    small = client.get("/shop/p/linen-tee/?sku=TEE-S").content.decode()
    assert f'<img src="{general.url("product")}" alt="Linen tee, folded"' in small  # no picture of its own
    assert medium.url("cart") not in small  # another variant's pictures are not in its gallery

    client.post("/shop/cart/add/", {"variant": shop["M"].pk, "quantity": 1, "next": "/shop/cart/"})
    client.post("/shop/cart/add/", {"variant": shop["S"].pk, "quantity": 1, "next": "/shop/cart/"})
    cart = client.get("/shop/cart/").content.decode()
    assert f'src="{medium.url("cart")}"' in cart and f'src="{general.url("cart")}"' in cart

    client.post("/shop/checkout/", checkout_data())
    order = Order.objects.get()
    user, _ = staff_user_get_or_create(username="manager", role="Manager")
    staff = Client()
    staff.force_login(User.objects.get(pk=user.pk))
    card = staff.get(f"/orders/{order.number}/").content.decode()
    line_images = [part.split('"', 1)[0] for part in card.split('class="line-thumb" src="')[1:]]
    assert sorted(line_images) == sorted([medium.url("cart"), general.url("cart")])
