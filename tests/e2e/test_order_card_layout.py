"""The order card and list as a Ukrainian and an Arabic manager see them (issue 16): long status names
("Комплектується") and long values stay inside their boxes, nothing scrolls sideways, and mixed-
direction values keep their own order on a right-to-left page ("01001 Kyiv", not "Kyiv 01001")."""

from __future__ import annotations

from typing import Any

import pytest

from orderloop.fulfillment import services as fulfillment
from orderloop.orders.models import Order, OrderStatus
from tests.fulfillment.conftest import Shop, boxes, methods, ready_order, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

# Every badge and fact value whose box sticks out of its parent (or whose text sticks out of its box).
OVERFLOWING = """
() => {
  const out = [];
  for (const el of document.querySelectorAll('.status, dl.facts dd, dl.facts dt, .badge')) {
    const box = el.getBoundingClientRect();
    const parent = el.closest('td, dd, .card, .order-head').getBoundingClientRect();
    const inside = el.closest('td, dd, .card, .order-head') === el ? el.parentElement.closest('.card') : null;
    const frame = inside ? inside.getBoundingClientRect() : parent;
    if (el.scrollWidth > el.clientWidth + 1 || box.left < frame.left - 1 || box.right > frame.right + 1) {
      out.push(el.className + ': ' + el.textContent.trim());
    }
  }
  return out;
}
"""

# Where the postal code and the city of "01001 Kyiv" are drawn on the card.
ADDRESS_ORDER = """
() => {
  const walker = document.createTreeWalker(document.querySelector('#delivery'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const at = node.textContent.indexOf('01001 Kyiv');
    if (at < 0) continue;
    const rect = (start, end) => { const r = document.createRange(); r.setStart(node, start); r.setEnd(node, end); return r.getBoundingClientRect(); };
    return {postal: rect(at, at + 5).left, city: rect(at + 6, at + 10).left};
  }
  return null;
}
"""


@pytest.fixture
def picking_order(shop: Shop, ready_order: Any, make_staff: Any) -> Order:  # noqa: F811
    make_staff("Manager", username="maryna", password="card-pass-1")
    order = ready_order(("TEE", 1), ("SOCKS", 2))
    fulfillment.wave_release(method="single", warehouse_code="kyiv", actor=None)
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.PICKING
    return order


def open_as(browser: Any, live_server: Any, language: str, width: int) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    context.add_cookies([{"name": "orderloop_language", "value": language, "url": live_server.url}])
    page.goto("/login/")
    page.fill("#id_username", "maryna")
    page.fill("#id_password", "card-pass-1")
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.mark.parametrize("width", [1280, 1024])
def test_ukrainian_card_and_list_keep_everything_inside_its_box(
    browser: Any, live_server: Any, picking_order: Order, width: int
) -> None:
    page = open_as(browser, live_server, "uk", width)
    page.goto(f"/orders/{picking_order.number}/")
    assert page.locator("#order-status .status").inner_text() == "Комплектується"
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.goto("/orders/")
    assert page.locator(f'tr[data-number="{picking_order.number}"] .status').inner_text() == "Комплектується"
    assert page.evaluate(OVERFLOWING) == []
    page.context.close()


def test_arabic_card_keeps_the_address_in_its_own_order(
    browser: Any, live_server: Any, picking_order: Order
) -> None:
    page = open_as(browser, live_server, "ar", 1280)
    page.goto(f"/orders/{picking_order.number}/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    where = page.evaluate(ADDRESS_ORDER)
    assert where is not None, "the address is not on the card"
    assert where["postal"] < where["city"], "the Arabic page shows “Kyiv 01001”"
    assert page.evaluate(OVERFLOWING) == []
    page.context.close()
