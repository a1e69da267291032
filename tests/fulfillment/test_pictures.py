"""Product pictures in the warehouse (issue 16): the handheld pick screen shows the item to pick, and
the printed pick list has a small picture on each row whose product has one."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from orderloop.catalog import images, services
from orderloop.core.services import staff_user_get_or_create
from orderloop.fulfillment import documents
from orderloop.fulfillment import services as fulfillment
from orderloop.fulfillment.models import PickList
from tests.catalog.pictures import dominant_colour, picture

pytestmark = pytest.mark.django_db


def _picture_for(variant, colour: str, *, of_variant: bool = False):
    (image,) = services.product_images_add(
        product_id=variant.product_id,
        images=images.prepare_images([images.ImageUpload("p.png", picture(colour, (700, 500)))]),
        variant_id=variant.pk if of_variant else None,
    )
    return image


def _pick_list(shop, ready_order) -> PickList:
    ready_order(("TEE", 1), ("SOCKS", 2), ("JEANS", 1))
    fulfillment.wave_release(method="single", warehouse_code="kyiv", actor=None)
    return PickList.objects.get()


def test_the_handheld_pick_screen_shows_the_picture_of_the_item_to_pick(roles, shop, ready_order, media):
    image = _picture_for(shop.variants["TEE"], "#c0262d", of_variant=True)
    pick_list = _pick_list(shop, ready_order)
    user, _ = staff_user_get_or_create(username="picker", role="Warehouse")
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    html = client.get(f"/fulfillment/pick/{pick_list.pk}/").content.decode()
    assert 'data-current-sku="TEE"' in html
    assert f'<img src="{image.url("pick")}" alt="Product 1"' in html  # the pick size, named for the picker
    served = Client().get(image.url("pick"))  # a handheld loads it like any page asset
    assert served.status_code == 200
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as shown:
        assert shown.size == (320, 229)  # 700 × 500 with its longest edge at the pick size


def test_the_pick_list_pdf_has_the_picture_of_each_row_that_has_one(shop, ready_order, media):
    _picture_for(shop.variants["TEE"], "#c0262d")
    _picture_for(shop.variants["JEANS"], "#1f6feb")
    pick_list = _pick_list(shop, ready_order)
    pdf = documents.render_pick_list_pdf(pick_list)
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    pictures = []
    for found in page.images:
        buffer = io.BytesIO()
        found.image.save(buffer, "PNG")
        pictures.append(dominant_colour(buffer.getvalue()))
    # TEE (red) and JEANS (blue) have a picture, SOCKS none.
    assert len(pictures) == 2
    expected = [(31, 111, 235), (192, 38, 45)]
    for shown, colour in zip(sorted(pictures), expected, strict=True):
        assert all(abs(a - b) <= 10 for a, b in zip(shown, colour, strict=True)), pictures
    # A picture whose file is gone leaves the row as it was, without failing the document.
    from django.core.files.storage import default_storage

    for image in shop.variants["JEANS"].product.images.all():
        default_storage.delete(image.files["cart"])
    (page,) = PdfReader(io.BytesIO(documents.render_pick_list_pdf(pick_list))).pages
    assert len(page.images) == 1 and "JEANS" in page.extract_text()
