"""Nobody guesses their way into a customer's return (issue 17): the portal and the signed links are
throttled per order number and per address, and return labels and photos are private documents served
only to staff with the permission or through the return's signed link, never from /media/."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.urls import clear_url_caches
from django.utils import timezone
from PIL import Image

from orderloop.returns import selectors, services
from orderloop.returns.models import ReturnPhoto
from orderloop.returns.photos import PhotoUpload
from orderloop.storefront.selectors import tracking_token

pytestmark = pytest.mark.django_db(transaction=True)


def _guesses(client: Client, number: str, count: int, **extra: Any) -> list[int]:
    return [
        client.post("/shop/returns/", {"number": number, "contact": f"+38050000{n:04d}"}, **extra).status_code
        for n in range(count)
    ]


def test_ten_wrong_guesses_for_one_order_number_lock_it_for_fifteen_minutes(delivered: Any) -> None:
    order = delivered()
    client = Client()
    assert _guesses(client, order.number, 10) == [422] * 10
    locked = client.post("/shop/returns/", {"number": order.number, "contact": "olena@example.com"})
    # The right contact is refused too while the order number is locked, with the reason and when to retry.
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 14 * 60
    assert b"Too many attempts" in locked.content
    # Another address guessing the same order number is refused as well: the number itself is locked.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        other.post("/shop/returns/", {"number": order.number, "contact": "olena@example.com"}).status_code
        == 429
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        again = client.post("/shop/returns/", {"number": order.number, "contact": "olena@example.com"})
        assert again.status_code == 302


def test_ten_wrong_guesses_from_one_address_lock_that_address(delivered: Any) -> None:
    orders = [delivered() for _ in range(2)]
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(10):
        client.post("/shop/returns/", {"number": f"NOPE-{n}", "contact": "x@example.com"})
    # Any order number from that address is refused now; another address still gets in.
    refused = client.post("/shop/returns/", {"number": orders[0].number, "contact": "olena@example.com"})
    assert refused.status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert (
        other.post("/shop/returns/", {"number": orders[1].number, "contact": "olena@example.com"}).status_code
        == 302
    )


def test_the_portal_thresholds_are_settings(delivered: Any, settings: Any) -> None:
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "THROTTLES": {"return_portal": {"limit": 3, "window": 60, "lockout": 60}},
    }
    order = delivered()
    client = Client()
    assert _guesses(client, order.number, 4) == [422, 422, 422, 429]


def test_wrong_tracking_links_from_one_address_are_throttled(delivered: Any) -> None:
    order = delivered()
    client = Client(REMOTE_ADDR="192.0.2.44")
    good = tracking_token(order.number)
    forged = [f"9{n}{order.number}:{good.split(':', 1)[1]}" for n in range(10)]
    assert [client.get(f"/shop/orders/{token}/").status_code for token in forged] == [404] * 10
    blocked = client.get(f"/shop/orders/{good}/")
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert Client(REMOTE_ADDR="192.0.2.45").get(f"/shop/orders/{good}/").status_code == 200


# --- Personal documents ---------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def labelled(delivered: Any) -> Any:
    """A return with its label and a photo (files removed afterwards)."""
    order = delivered(("TEE-S", 1))
    rma = services.return_open(
        order_id=order.pk,
        lines=[services.LineInput(order_line_id=order.lines.get().pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
        photos=[PhotoUpload(name="parcel.png", content=_png())],
    )
    services.return_label_create(rma_id=rma.pk)
    rma.refresh_from_db()
    yield rma
    for photo in ReturnPhoto.objects.filter(request=rma):
        photo.image.delete(save=False)
    rma.label_file.delete(save=False)


def test_labels_and_photos_are_kept_outside_media_root(labelled: Any) -> None:
    media = Path(settings.MEDIA_ROOT).resolve()
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    photo = ReturnPhoto.objects.get(request=labelled)
    for stored in (labelled.label_file, photo.image):
        path = Path(stored.path).resolve()
        assert path.is_file()
        assert private in path.parents and media not in path.parents
        # The name cannot be guessed from the return's number alone.
        assert Path(stored.name).stem != labelled.number


def test_nothing_is_served_from_media_even_in_debug(labelled: Any, settings: Any) -> None:
    import orderloop.urls

    settings.DEBUG = True
    try:
        importlib.reload(orderloop.urls)
        clear_url_caches()
        with override_settings(ROOT_URLCONF="orderloop.urls"):
            response = Client().get(f"/{settings.MEDIA_URL}{labelled.label_file.name}")
            assert response.status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(orderloop.urls)
        clear_url_caches()


def test_the_label_goes_to_staff_with_the_permission_and_to_the_signed_link_only(
    labelled: Any, make_staff: Any
) -> None:
    staff_url = f"/returns/{labelled.number}/label.pdf"
    anonymous = Client().get(staff_url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    courier = Client()
    courier.force_login(make_staff("Courier"))
    assert courier.get(staff_url).status_code == 403
    warehouse = Client()
    warehouse.force_login(make_staff("Warehouse"))
    served = warehouse.get(staff_url)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF")

    token = selectors.return_token(labelled.number)
    customer = Client().get(f"/shop/returns/{token}/label.pdf")
    assert customer.status_code == 200 and b"".join(customer.streaming_content).startswith(b"%PDF")
    assert "private" in customer["Cache-Control"]
    number, signature = token.split(":", 1)
    tampered = f"{number}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    assert Client().get(f"/shop/returns/{tampered}/label.pdf").status_code == 404
    # Another return's number under this return's signature does not open it either.
    assert Client().get(f"/shop/returns/RMA-999999:{signature}/label.pdf").status_code == 404


def test_return_photos_need_the_staff_permission(labelled: Any, make_staff: Any) -> None:
    photo = ReturnPhoto.objects.get(request=labelled)
    url = f"/returns/photos/{photo.pk}/"
    assert Client().get(url).status_code == 302
    support_less = Client()
    support_less.force_login(make_staff("Courier"))
    assert support_less.get(url).status_code == 403
    manager = Client()
    manager.force_login(make_staff("Manager"))
    served = manager.get(url)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
