"""Product pictures (issue 16): uploaded in the back office's product form, checked by their content,
resized, kept in Django's default storage and served publicly with a long cache; edited, reordered and
removed again. On the real database (SQLite and PostgreSQL) and a real storage directory."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from orderloop.catalog import images, selectors, services
from orderloop.catalog.errors import ImageInvalid
from orderloop.catalog.models import Product, ProductImage, Variant
from tests.catalog.pictures import claimed_size_png, dominant_colour, picture

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_staff: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_staff("Manager"))
    return client


@pytest.fixture
def tee(db: Any) -> Product:
    product = Product.objects.create(handle="linen-tee", name="Linen tee")
    for sku, colour in (("TEE-RED-M", "Red"), ("TEE-BLUE-M", "Blue")):
        Variant.objects.create(
            product=product,
            sku=sku,
            price_amount=Decimal("450.00"),
            currency="UAH",
            attributes={"size": "M", "colour": colour},
        )
    return product


def _form(product: Product, **extra: Any) -> dict[str, Any]:
    """The product form as the page posts it: the product, its variants, its picture rows."""
    variants = list(product.variants.order_by("id"))
    stored = list(product.images.order_by("position", "id"))
    data: dict[str, Any] = {
        "name": product.name,
        "handle": product.handle,
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(len(variants)),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "images-TOTAL_FORMS": str(len(stored)),
        "images-INITIAL_FORMS": str(len(stored)),
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    for index, variant in enumerate(variants):
        data.update(
            {
                f"variants-{index}-id": variant.pk,
                f"variants-{index}-sku": variant.sku,
                f"variants-{index}-price": str(variant.price_amount),
                f"variants-{index}-currency": variant.currency,
                f"variants-{index}-attributes": "; ".join(f"{k}={v}" for k, v in variant.attributes.items()),
            }
        )
    for index, image in enumerate(stored):
        data.update(
            {
                f"images-{index}-id": image.pk,
                f"images-{index}-alt_text": image.alt_text,
                f"images-{index}-variant": image.variant_id or "",
                f"images-{index}-position": image.position,
            }
        )
    data.update(extra)
    return data


def _upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_several_pictures_are_uploaded_resized_stored_and_served_publicly(manager, tee, media, settings):
    settings.DEBUG = False  # the operator publishes nothing: no MEDIA_URL route, no web server rule
    red = tee.variants.get(sku="TEE-RED-M")
    response = manager.post(
        reverse("catalog:product_edit", args=[tee.pk]),
        _form(
            tee,
            images=[
                _upload("front.png", picture("#c0262d", (1600, 1200))),
                _upload("back.jpg", picture("#1f6feb", (800, 800), "JPEG"), "image/jpeg"),
                _upload("detail.webp", picture("#1a7f37", (300, 500), "WEBP"), "image/webp"),
            ],
            images_variant=red.pk,
            images_alt_text="Red linen tee, front",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = list(tee.images.order_by("position"))
    assert [image.content_type for image in stored] == ["image/png", "image/jpeg", "image/webp"]
    assert [image.position for image in stored] == [1, 2, 3]
    assert {image.variant_id for image in stored} == {red.pk}
    assert stored[0].alt == "Red linen tee, front" and (stored[0].width, stored[0].height) == (1600, 1200)

    anonymous = Client()  # pictures are public: the shop, the cart, a phone's pick screen show them
    for image, colour in zip(stored, ((192, 38, 45), (31, 111, 235), (26, 127, 55)), strict=True):
        assert default_storage.exists(image.original)
        for size, edge in images.SIZES.items():
            url = image.url(size)
            assert url == f"/images/{image.pk}/{image.token}/{size}.webp"
            served = anonymous.get(url)
            assert served.status_code == 200 and served["Content-Type"] == "image/webp"
            assert "immutable" in served["Cache-Control"] and "max-age=31536000" in served["Cache-Control"]
            content = b"".join(served.streaming_content)
            with Image.open(io.BytesIO(content)) as shown:
                assert shown.format == "WEBP"
                assert max(shown.size) <= edge and not shown.info.get("exif")
            assert all(abs(a - b) <= 8 for a, b in zip(dominant_colour(content), colour, strict=True))
            again = anonymous.get(url, HTTP_IF_NONE_MATCH=served["ETag"])
            assert again.status_code == 304
    # The longest edge is the size's, the proportions are kept, a small picture is never enlarged.
    with Image.open(default_storage.open(stored[0].files["catalogue"])) as catalogue:
        assert catalogue.size == (480, 360)
    with Image.open(default_storage.open(stored[2].files["product"])) as small:
        assert small.size == (300, 500)
    # The original is kept for new sizes later, but never served (a phone photo's EXIF stays private).
    assert anonymous.get(f"/images/{stored[0].pk}/{stored[0].token}/original.webp").status_code == 404
    assert anonymous.get(f"/images/{stored[0].pk}/{'0' * 32}/cart.webp").status_code == 404

    # The form shows them, with their alternative text and variant, to edit.
    page = manager.get(reverse("catalog:product_edit", args=[tee.pk])).content.decode()
    assert page.count('data-testid="image-row"') == 3 and stored[0].url("cart") in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            ("notes.jpg", b"not a picture at all", "image/jpeg"),
            "notes.jpg is not a JPEG, PNG or WebP picture.",
        ),
        (("anim.gif", None, "image/gif"), "anim.gif is not a JPEG, PNG or WebP picture."),
        (("cut.png", "truncated", "image/png"), "cut.png is not a JPEG, PNG or WebP picture."),
        (("bomb.png", "bomb", "image/png"), "bomb.png has too many pixels (at most 40 megapixels)."),
        (("huge.png", "huge", "image/png"), "huge.png is larger than 1.0 MB."),
    ],
)
def test_a_refused_picture_is_a_form_error_and_nothing_is_saved(
    manager, tee, media, settings, upload, message
):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PRODUCT_IMAGE_MAX_BYTES": 1024 * 1024}
    name, content, content_type = upload
    if content is None:
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10), "red").save(buffer, "GIF")
        content = buffer.getvalue()
    elif content == "truncated":
        content = picture()[:200]
    elif content == "bomb":
        content = claimed_size_png(100_000, 100_000)  # ten gigapixels claimed in a file of ~70 bytes
    elif content == "huge":
        content = picture(size=(10, 10)) + b"\0" * (1024 * 1024)
    response = manager.post(
        reverse("catalog:product_edit", args=[tee.pk]),
        _form(
            tee,
            name="Renamed tee",
            images=[_upload("fine.png", picture()), _upload(name, content, content_type)],
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="images-errors"' in html and message in html
    tee.refresh_from_db()
    assert tee.name == "Linen tee" and not ProductImage.objects.exists()
    assert not any(media.rglob("*.*")) if media.exists() else True


def test_the_pictures_limit_per_product_refuses_the_whole_upload(manager, tee, media, settings):
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PRODUCT_IMAGE_MAX_PER_PRODUCT": 2}
    services.product_images_add(
        product_id=tee.pk, images=images.prepare_images([images.ImageUpload("a.png", picture())])
    )
    response = manager.post(
        reverse("catalog:product_edit", args=[tee.pk]),
        _form(tee, images=[_upload("b.png", picture()), _upload("c.png", picture())]),
    )
    assert response.status_code == 400 and "A product has at most 2 pictures." in response.content.decode()
    assert tee.images.count() == 1 and len(list(media.rglob("*.webp"))) == len(images.SIZES)


def test_pictures_are_edited_reordered_and_removed_with_their_files(
    manager, tee, media, django_capture_on_commit_callbacks
):
    first, second = services.product_images_add(
        product_id=tee.pk,
        images=images.prepare_images(
            [images.ImageUpload("a.png", picture("#111111")), images.ImageUpload("b.png", picture("#eeeeee"))]
        ),
    )
    blue = tee.variants.get(sku="TEE-BLUE-M")
    data = _form(tee)
    data.update(
        {
            "images-0-position": 2,
            "images-0-remove": "on",
            "images-1-position": 1,
            "images-1-alt_text": "Blue tee on a hanger",
            "images-1-variant": blue.pk,
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("catalog:product_edit", args=[tee.pk]), data)
    assert response.status_code == 302
    (kept,) = tee.images.all()
    assert (kept.pk, kept.position, kept.alt_text, kept.variant_id) == (
        second.pk,
        1,
        "Blue tee on a hanger",
        blue.pk,
    )
    assert not any(default_storage.exists(name) for name in [first.original, *first.files.values()])
    assert all(default_storage.exists(name) for name in [second.original, *second.files.values()])

    # A variant of another product is refused next to the row; nothing changes.
    other = Product.objects.create(handle="cap", name="Cap")
    cap = Variant.objects.create(product=other, sku="CAP", price_amount=Decimal("1"), currency="UAH")
    response = manager.post(
        reverse("catalog:product_edit", args=[tee.pk]), _form(tee, **{"images-0-variant": cap.pk})
    )
    assert response.status_code == 400
    kept.refresh_from_db()
    assert kept.variant_id == blue.pk


def test_each_variant_is_shown_with_its_own_picture_else_the_products(tee, media):
    red, blue = tee.variants.get(sku="TEE-RED-M"), tee.variants.get(sku="TEE-BLUE-M")
    assert selectors.variant_images([red.pk, blue.pk]) == {}
    (blue_picture,) = services.product_images_add(
        product_id=tee.pk,
        images=images.prepare_images([images.ImageUpload("b.png", picture())]),
        variant_id=blue.pk,
    )
    # No picture of the whole product yet: the one there is shows for every variant.
    assert selectors.variant_images([red.pk, blue.pk]) == {red.pk: blue_picture, blue.pk: blue_picture}
    (general,) = services.product_images_add(
        product_id=tee.pk, images=images.prepare_images([images.ImageUpload("g.png", picture())])
    )
    assert selectors.variant_images([red.pk, blue.pk]) == {red.pk: general, blue.pk: blue_picture}
    assert selectors.product_main_images([tee.pk]) == {tee.pk: general}
    with pytest.raises(ImageInvalid):
        images.prepare_image(images.ImageUpload("x.txt", b"hello"))


def test_storage_urls_can_replace_the_shops_view(tee, media, settings):
    """With a CDN or a public bucket in front of the storage, pages use the storage's own URLs."""
    (image,) = services.product_images_add(
        product_id=tee.pk, images=images.prepare_images([images.ImageUpload("a.png", picture())])
    )
    settings.ORDERLOOP = {**settings.ORDERLOOP, "PRODUCT_IMAGE_URLS": "storage"}
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    assert image.url("pick") == f"https://cdn.example.com/media/{image.files['pick']}"
