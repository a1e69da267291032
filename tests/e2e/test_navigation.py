"""The back office's main menu in a real browser (issue 16): pages grouped by job in dropdowns, each role
seeing only what its permissions open, usable with the keyboard, and on one line at 1280 px in every
language, Arabic right to left included."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import expect

from orderloop.core import roles
from orderloop.inventory.models import Warehouse

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "menu-pass-1"
GROUPS = ["orders", "warehouse", "shipping", "returns", "purchasing", "catalog", "settings"]

# Per role: the menus it sees, and links it must see (+) or must not see (-).
EXPECTED: dict[str, tuple[list[str], list[str], list[str]]] = {
    roles.WAREHOUSE: (
        GROUPS,
        [
            "/fulfillment/pick/",
            "/fulfillment/pack/",
            "/stock/count/",
            "/purchasing/",
            "/settings/api-tokens/",
        ],
        [
            "/purchasing/replenishment/",
            "/purchasing/rules/",
            "/notifications/outbox/",
            "/orders/new/",
            "/coupons/",
        ],
    ),
    roles.COURIER: (
        ["shipping", "settings"],
        ["/shipping/courier/", "/settings/api-tokens/"],
        ["/orders/", "/stock/", "/shipping/", "/fulfillment/", "/purchasing/"],
    ),
    roles.SUPPORT: (
        ["orders", "warehouse", "shipping", "returns", "catalog", "settings"],
        ["/orders/", "/returns/new/", "/notifications/outbox/"],
        ["/orders/new/", "/fulfillment/pick/", "/stock/adjust/", "/purchasing/", "/catalog/import/"],
    ),
    roles.MANAGER: (
        GROUPS,
        ["/orders/new/", "/intake/", "/purchasing/replenishment/", "/coupons/", "/shipping/cod/"],
        ["/fulfillment/pick/", "/fulfillment/pack/", "/stock/adjust/", "/shipping/courier/"],
    ),
    roles.ANALYST: (
        ["orders", "warehouse", "shipping", "returns", "purchasing", "catalog", "settings"],
        # The analyst reads the cash-on-delivery books (without the form that records cash handed in).
        ["/returns/analytics/", "/purchasing/", "/shipping/cod/"],
        ["/orders/new/", "/notifications/outbox/", "/coupons/"],
    ),
    roles.ADMIN: (GROUPS, ["/fulfillment/pick/", "/shipping/courier/", "/notifications/outbox/"], []),
}


@pytest.fixture
def staff(make_staff: Any) -> Any:
    Warehouse.objects.create(code="kyiv", name="Kyiv main", country="UA", city="Kyiv", priority=1)

    def make(role: str) -> str:
        username = f"menu-{role.lower()}"
        make_staff(role, username=username, password=PASSWORD)
        return username

    return make


def menu_links(page: Any) -> list[str]:
    """The pages the menu offers: dropdown items, and the jobs with a single page as plain links."""
    return page.locator(".mainnav .menu-items a, .mainnav a.menu-link[data-menu]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_the_menus_of_its_job_and_every_item_opens(
    page: Any, login: Any, staff: Any, role: str
) -> None:
    login(staff(role), PASSWORD)
    groups, present, absent = EXPECTED[role]
    shown = page.locator(".mainnav [data-menu]").evaluate_all("menus => menus.map(m => m.dataset.menu)")
    assert shown == groups
    links = menu_links(page)
    assert all(link in links for link in present), (role, links)
    assert not any(link in links for link in absent), (role, links)
    if role == roles.COURIER:
        # A job with one page for the role is a plain link: no dropdown to open on the handheld.
        shipping = page.locator('.mainnav a.menu-link[data-menu="shipping"]')
        expect(shipping).to_have_attribute("href", "/shipping/courier/")
        expect(page.locator(".mainnav details")).to_have_count(0)
    # Every item the role sees opens for it: no menu entry leads to a refusal.
    for link in links:
        assert page.request.get(link).status == 200, (role, link)


def test_the_menus_work_with_the_keyboard_alone(page: Any, login: Any, staff: Any) -> None:
    login(staff(roles.MANAGER), PASSWORD)
    orders = page.locator('.mainnav details[data-menu="orders"]')
    warehouse = page.locator('.mainnav details[data-menu="warehouse"]')
    items = orders.locator(".menu-items")
    expect(items).to_be_hidden()

    page.locator('.mainnav details[data-menu="orders"] > summary').focus()
    page.keyboard.press("Enter")
    expect(items).to_be_visible()
    page.keyboard.press("Tab")
    expect(items.locator("a").first).to_be_focused()
    # Escape closes the menu and gives the focus back to its title.
    page.keyboard.press("Escape")
    expect(items).to_be_hidden()
    expect(orders.locator("summary")).to_be_focused()

    # One menu at a time: opening the next closes the first (Space opens a <summary> too).
    page.keyboard.press("Space")
    expect(items).to_be_visible()
    page.locator('.mainnav details[data-menu="warehouse"] > summary').focus()
    page.keyboard.press("Enter")
    expect(warehouse.locator(".menu-items")).to_be_visible()
    expect(items).to_be_hidden()

    # Following an item with the keyboard opens its page, and the menu marks where the user is.
    warehouse.locator(".menu-items a", has_text="Stock ledger").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/stock/movements/")
    expect(page.locator('.mainnav details[data-menu="warehouse"].current')).to_have_count(1)
    expect(page.locator('.mainnav a[aria-current="page"]')).to_have_attribute("href", "/stock/movements/")


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_menu_fits_one_line_at_1280_px_in_every_language(
    browser: Any, live_server: Any, staff: Any, language: str
) -> None:
    username = staff(roles.ADMIN)  # the role that sees every menu
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login/" not in url)
    context.add_cookies([{"name": "orderloop_language", "value": language, "url": live_server.url}])
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    # One row: every part of the bar is centred on the same line.
    middles = page.locator(".topbar .brand, .mainnav .menubar > li, .topbar-end").evaluate_all(
        "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 2); })"
    )
    assert len(middles) == len(GROUPS) + 3  # brand, seven menus, the shop link, the language and user corner
    assert max(middles) - min(middles) <= 3, (language, middles)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, (language, width)

    # The last menu's dropdown opens inside the window, on the side the language reads from.
    page.locator('.mainnav details[data-menu="settings"] > summary').click()
    box = page.locator('.mainnav details[data-menu="settings"] .menu-items').bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280, (language, box)
    context.close()
