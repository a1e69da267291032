"""Issue 16 in a real browser (Chromium):

- staff upload pictures in the product form (a file that is no picture is refused next to the field),
  and the shop, the product page, the cart, the order card and the handheld pick screen show them;
- the product page chooses size and colour with a picker each, offers only what exists, says what is
  in stock, follows the keyboard, and still adds the right variant without JavaScript (Arabic, RTL);
- the checkout shows the prepayment and the rest due on delivery as the payment method changes, and
  books a preferred delivery window, refused on a day without deliveries (Ukrainian).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orderloop.catalog.models import Product, ProductImage, Variant
from orderloop.fulfillment import services as fulfillment
from orderloop.fulfillment.models import PickList
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import bin_create, stock_adjust, stock_assign_bin
from orderloop.orders import services as order_services
from orderloop.orders.models import Order
from orderloop.orders.services import shop_calendar
from orderloop.storefront.models import CartLine
from tests.catalog.pictures import dominant_colour, picture
from tests.orders.conftest import methods  # noqa: F401  (fixture)
from tests.orders.helpers import place

pytestmark = pytest.mark.django_db(transaction=True)

# Red S 0, Red M 3, Red L 9, Blue S 2, Blue M 0 units; there is no Blue L.
STOCK = {("S", "Red"): 0, ("M", "Red"): 3, ("L", "Red"): 9, ("S", "Blue"): 2, ("M", "Blue"): 0}


@pytest.fixture
def polo(methods: None, settings: Any, live_server: Any, media: Any) -> dict[tuple[str, str], Variant]:  # noqa: F811
    settings.ORDERLOOP = {
        **settings.ORDERLOOP,
        "SITE_URL": live_server.url,
        "STRIPE_SECRET_KEY": "",
        "FREE_GIFT": {},
        "PREPAYMENT_SHARE": "0.30",
    }
    warehouse = Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)
    shelf = bin_create(
        warehouse=warehouse, zone="A", aisle="1", shelf="1", bin="1", route_order=10, actor=None
    )
    product = Product.objects.create(
        handle="polo", name="Pique polo", name_translations={"uk": "Поло піке", "ar": "قميص بولو"}
    )
    variants = {}
    for (size, colour), units in STOCK.items():
        variant = Variant.objects.create(
            product=product,
            sku=f"POLO-{colour.upper()}-{size}",
            barcode=None,
            price_amount=Decimal("900.00") if colour == "Blue" else Decimal("800.00"),
            currency="UAH",
            attributes={"size": size, "colour": colour},
        )
        stock_assign_bin(variant=variant, warehouse=warehouse, bin=shelf, actor=None)
        if units:
            stock_adjust(variant=variant, warehouse=warehouse, delta=units, actor=None)
        variants[(size, colour)] = variant
    return variants


def _loaded(locator: Any) -> bool:
    """The picture really arrived and was decoded by the browser (waiting for it if it is on its way)."""
    locator.scroll_into_view_if_needed()  # a lazy picture loads when it comes into view
    return bool(
        locator.evaluate(
            """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth > 0));
                img.addEventListener("error", () => done(false));
            })"""
        )
    )


def test_uploaded_pictures_show_in_the_shop_cart_order_card_and_pick_screen(
    browser: Any, live_server: Any, polo: dict[tuple[str, str], Variant], make_staff: Any, tmp_path: Any
) -> None:
    make_staff("Manager", username="mira", password="pictures-1")
    make_staff("Warehouse", username="wera", password="pictures-2")
    (tmp_path / "notes.jpg").write_bytes(b"this is not a picture")
    (tmp_path / "red.png").write_bytes(picture("#b3282d", (1200, 900)))
    (tmp_path / "blue.jpg").write_bytes(picture("#2f5fa8", (900, 900), "JPEG"))
    staff = browser.new_context(base_url=live_server.url, locale="en-US")
    staff.set_default_timeout(10_000)
    page = staff.new_page()
    page.goto("/login/")
    page.fill("#id_username", "mira")
    page.fill("#id_password", "pictures-1")
    page.click("button[type=submit].primary")
    product = Product.objects.get(handle="polo")

    page.goto(f"/catalog/{product.pk}/")
    page.set_input_files("#id_images", [str(tmp_path / "red.png"), str(tmp_path / "notes.jpg")])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("images-errors")).to_contain_text(
        "notes.jpg is not a JPEG, PNG or WebP picture."
    )
    assert not ProductImage.objects.exists()

    page.set_input_files("#id_images", [str(tmp_path / "red.png")])
    page.fill("#id_images_alt_text", "Red pique polo, flat")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("image-row")).to_have_count(1)
    blue_variant = polo[("S", "Blue")]
    page.set_input_files("#id_images", [str(tmp_path / "blue.jpg")])
    page.select_option("#id_images_variant", str(blue_variant.pk))
    page.get_by_role("button", name="Save").click()
    rows = page.get_by_test_id("image-row")
    expect(rows).to_have_count(2)
    assert all(_loaded(rows.nth(i).locator("img")) for i in range(2))
    red_image, blue_image = ProductImage.objects.order_by("position")
    assert (red_image.variant_id, blue_image.variant_id) == (None, blue_variant.pk)

    # The customer sees them: the catalogue card, the product page (the blue variant's own), the cart.
    shop = browser.new_context(base_url=live_server.url, locale="en-US")
    shop.set_default_timeout(10_000)
    customer = shop.new_page()
    customer.goto("/shop/")
    card = customer.get_by_test_id("card-image")
    expect(card).to_have_attribute("src", red_image.url("catalogue"))
    assert _loaded(card)
    customer.get_by_role("link", name=re.compile("Pique polo")).click()
    shown = customer.get_by_test_id("product-image")
    expect(shown).to_have_attribute("alt", "Red pique polo, flat")
    customer.locator("[data-testid=picker-size] input[value=S]").check()
    expect(customer.get_by_test_id("availability")).to_contain_text("POLO-RED-S")
    customer.get_by_role("group", name="Colour").get_by_label(re.compile("Blue")).check()
    expect(customer.get_by_test_id("availability")).to_contain_text("POLO-BLUE-S")
    shown = customer.get_by_test_id("product-image")
    expect(shown).to_have_attribute("src", blue_image.url("product"))
    assert _loaded(shown)
    customer.get_by_test_id("add-to-cart").click()
    customer.goto("/shop/cart/")
    in_cart = customer.get_by_test_id("cart-image")
    expect(in_cart).to_have_attribute("src", blue_image.url("cart"))
    assert _loaded(in_cart)
    image = customer.request.get(blue_image.url("cart"))
    assert dominant_colour(image.body())[2] > 150 and "immutable" in image.headers["cache-control"]
    shop.close()

    # Staff: the order card's line and the handheld pick screen show the picture too.
    order = place(("POLO-RED-L", 1))
    order_services.order_confirm(order_id=order.pk, actor=None)
    page.goto(f"/orders/{order.number}/")
    line = page.get_by_test_id("line-image")
    expect(line).to_have_attribute("src", red_image.url("cart"))
    assert _loaded(line)
    fulfillment.wave_release(method="single", warehouse_code="kyiv", actor=None)
    pick_list = PickList.objects.get()
    staff.close()
    handheld = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 400, "height": 800}
    )
    handheld.set_default_timeout(10_000)
    page = handheld.new_page()
    page.goto("/login/")
    page.fill("#id_username", "wera")
    page.fill("#id_password", "pictures-2")
    page.click("button[type=submit].primary")
    page.goto(f"/fulfillment/pick/{pick_list.pk}/")
    item = page.locator(".pick-now img")
    expect(item).to_have_attribute("src", red_image.url("pick"))
    assert _loaded(item)
    handheld.close()


def test_size_and_colour_pickers_offer_what_exists_and_work_by_keyboard_and_without_javascript(
    browser: Any, live_server: Any, polo: dict[tuple[str, str], Variant]
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="ar")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/shop/p/polo/?sku=POLO-RED-L")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    sizes = page.locator("[data-testid=picker-size]")
    colours = page.locator("[data-testid=picker-colour]")
    expect(sizes.locator("legend")).to_be_visible()
    expect(sizes.locator("input[type=radio]")).to_have_count(3)
    # In size L only Red exists: Blue is there but cannot be chosen.
    expect(colours.locator("input[value=Blue]")).to_be_disabled()
    expect(colours.locator("input[value=Red]")).to_be_checked()

    # Size S: the colour stays Red (sold out in S, and it says so) and Blue can be chosen now.
    sizes.locator("input[value=S]").check()
    expect(page.get_by_test_id("availability")).to_contain_text("POLO-RED-S")
    expect(colours.locator("input[value=Blue]")).to_be_enabled()
    red = page.locator("[data-testid=picker-colour] label", has=page.locator("input[value=Red]"))
    expect(red).to_have_class(re.compile("sold-out"))
    colours.locator("input[value=Blue]").check()
    expect(page.get_by_test_id("availability")).to_contain_text("POLO-BLUE-S")
    expect(page.get_by_test_id("availability").locator(".price")).to_contain_text("900")  # Blue is dearer

    # The keyboard: an arrow moves to the next size, and the focus stays on the picker across the update.
    sizes.locator("input[value=S]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("availability")).to_contain_text("POLO-BLUE-M")
    assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == ["attr-size", "M"]
    assert page.url.endswith("/shop/p/polo/?sku=POLO-BLUE-M")  # the address follows the choice
    context.close()

    # Without JavaScript the form still adds what the pickers say.
    plain = browser.new_context(base_url=live_server.url, locale="ar", java_script_enabled=False)
    plain.set_default_timeout(10_000)
    page = plain.new_page()
    page.goto("/shop/p/polo/")
    page.locator("[data-testid=picker-colour] input[value=Blue]").check()
    page.locator("[data-testid=picker-size] input[value=S]").check()
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    assert list(CartLine.objects.values_list("variant__sku", flat=True)) == ["POLO-BLUE-S"]
    plain.close()


def test_checkout_shows_prepayment_and_rest_live_and_books_a_delivery_window(
    browser: Any, live_server: Any, polo: dict[tuple[str, str], Variant]
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="uk-UA")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/shop/p/polo/?sku=POLO-RED-L")
    page.get_by_test_id("add-to-cart").click()
    page.goto("/shop/checkout/")
    page.fill("#id_email", "olena@example.com")
    page.fill("#id_phone", "050 123 45 67")
    page.fill("#id_name", "Олена Шевченко")
    page.fill("#id_line1", "Хрещатик 1")
    page.fill("#id_city", "Київ")
    page.fill("#id_postal_code", "01001")

    # 800,00 + 120,00 courier = 920,00: prepayment 30 % now, the rest at the door.
    page.locator("input[name=payment_method][value=prepayment]").check()
    expect(page.get_by_test_id("pay-now")).to_have_text("276,00\xa0₴")
    expect(page.get_by_test_id("pay-on-delivery")).to_have_text("644,00\xa0₴")
    page.locator("input[name=payment_method][value=cod]").check()
    expect(page.get_by_test_id("pay-now")).to_have_count(0)
    expect(page.get_by_test_id("pay-on-delivery")).to_have_text("920,00\xa0₴")
    page.locator("input[name=payment_method][value=prepayment]").check()
    expect(page.get_by_test_id("pay-now")).to_have_text("276,00\xa0₴")
    expect(page.locator("#id_email")).to_have_value("olena@example.com")  # the re-render kept the form

    today = timezone.localdate()
    saturday = today + timedelta(days=8 + (5 - (today + timedelta(days=8)).weekday()) % 7)
    window = page.get_by_test_id("delivery-window")
    window.locator("input[name=preferred_date]").fill(saturday.isoformat())
    window.locator("input[name=preferred_time_from]").fill("10:00")
    window.locator("input[name=preferred_time_to]").fill("14:00")
    page.get_by_test_id("place-order").click()
    error = page.locator("#id_preferred_date-error")
    expect(error).to_be_visible()
    assert re.search(r"[а-яіїєґ]", error.inner_text().lower())  # in Ukrainian
    assert not Order.objects.exists()

    day = shop_calendar().next_working_day(today + timedelta(days=8))
    page.get_by_test_id("delivery-window").locator("input[name=preferred_date]").fill(day.isoformat())
    page.get_by_test_id("place-order").click()
    expect(page.get_by_test_id("thank-you")).to_be_visible()
    order = Order.objects.get()
    assert (order.payment_method.code, order.preferred_date, str(order.preferred_time_from)) == (
        "prepayment",
        day,
        "10:00:00",
    )
    # The confirmation promises the chosen day and window (the one delivery promise every place shows).
    expect(page.get_by_test_id("promise")).to_contain_text("10:00–14:00")
    expect(page.get_by_test_id("promise")).to_contain_text(str(day.year))
    context.close()
