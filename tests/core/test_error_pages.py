"""Refusals and faults answer with styled, translated pages (the back office's or the shop's look), a
refused permission is logged as one warning line without a traceback, and every page has a favicon."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import translation

from orderloop.core import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def courier_client(make_staff: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_staff("Courier", username="petro"))
    return client


def test_a_refused_page_is_styled_and_explains_the_role(courier_client: Client) -> None:
    response = courier_client.get("/orders/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "css/orderloop.css" in html and 'class="topbar"' in html
    assert "You do not have access to this page" in html
    assert "You are signed in as petro." in html and "Your role (Courier) does not allow this." in html


def test_a_refused_page_speaks_the_visitors_language(courier_client: Client) -> None:
    courier_client.cookies["orderloop_language"] = "uk"
    html = courier_client.get("/orders/").content.decode()
    assert '<html lang="uk"' in html
    assert "You do not have access to this page" not in html
    with translation.override("uk"):
        assert f"({roles.ROLE_LABELS[roles.COURIER]})" in html  # the role by its Ukrainian name


def test_a_refused_permission_is_one_warning_line_without_a_traceback(
    courier_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert courier_client.get("/purchasing/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /purchasing/"
    assert record.exc_info is None
    formatted = logging.Formatter().format(record)
    assert "Traceback" not in formatted and "\n" not in formatted


def test_not_found_pages_are_styled_for_the_back_office_and_the_shop(make_staff: Callable[..., User]) -> None:
    client = Client()
    client.force_login(make_staff("Manager", username="maria"))
    back_office = client.get("/orders/999999/")
    assert back_office.status_code == 404
    html = back_office.content.decode()
    assert "css/orderloop.css" in html and "Page not found" in html

    shop = Client().get("/shop/p/no-such-product/")
    assert shop.status_code == 404
    html = shop.content.decode()
    assert "storefront/storefront.css" in html and 'class="shop-header"' in html
    assert "We could not find this page" in html


@override_settings(ROOT_URLCONF="tests.core.error_urls")
def test_server_errors_are_styled_and_translated() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "css/orderloop.css" in html and "Something went wrong" in html

    client.cookies["orderloop_language"] = "sv"
    shop = client.get("/shop/boom/")
    assert shop.status_code == 500
    html = shop.content.decode()
    assert "storefront/storefront.css" in html and '<html lang="sv"' in html
    assert "Something went wrong on our side" not in html


def test_every_page_links_a_favicon_that_exists() -> None:
    client = Client()
    for path in ("/login/", "/shop/"):
        html = client.get(path).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, path
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg") and finders.find("favicon.ico")
    # Browsers and tools that ask for /favicon.ico by themselves are sent to it, not answered with a 404.
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"


def test_a_form_refused_for_its_csrf_token_gets_the_styled_page_of_its_part_of_the_site() -> None:
    client = Client(enforce_csrf_checks=True)
    shop = client.post("/shop/cart/add/", {"sku": "ANY", "quantity": "1"})
    assert shop.status_code == 403
    html = shop.content.decode()
    assert "storefront/storefront.css" in html and "The form could not be sent" in html
    back_office = client.post("/login/", {"username": "x", "password": "y"})
    assert back_office.status_code == 403
    html = back_office.content.decode()
    assert "css/orderloop.css" in html and "Reload the page and send the form again." in html
