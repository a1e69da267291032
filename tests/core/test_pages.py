"""Login, logout, and the language switcher (Arabic pages render right to left)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from orderloop.core import roles
from orderloop.core.services import staff_user_get_or_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def manager(roles: None) -> User:
    user, _ = staff_user_get_or_create(username="olena", role="Manager", password=PASSWORD)
    return user


def test_login_page_renders_in_english_left_to_right() -> None:
    response = Client().get(reverse("backoffice:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert 'name="username"' in html and 'name="password"' in html


def test_login_with_the_right_password_opens_the_dashboard(manager: User) -> None:
    client = Client()
    response = client.post(reverse("backoffice:login"), {"username": "olena", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:dashboard")
    dashboard = client.get(reverse("backoffice:dashboard"))
    assert dashboard.status_code == 200
    assert "olena" in dashboard.content.decode()


def test_login_with_a_wrong_password_shows_an_error(manager: User) -> None:
    client = Client()
    response = client.post(reverse("backoffice:login"), {"username": "olena", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert client.get(reverse("backoffice:dashboard")).status_code == 302


def test_logout_ends_the_session(manager: User) -> None:
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("backoffice:dashboard")).status_code == 200
    response = client.post(reverse("backoffice:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:login")
    after = client.get(reverse("backoffice:dashboard"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("backoffice:login"))


def test_pages_need_a_login() -> None:
    response = Client().get(reverse("backoffice:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))


def test_switching_to_arabic_renders_pages_right_to_left(manager: User) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "ar", "next": reverse("backoffice:login")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"

    login = client.get(reverse("backoffice:login")).content.decode()
    assert '<html lang="ar" dir="rtl">' in login

    client.force_login(manager)
    dashboard = client.get(reverse("backoffice:dashboard"))
    assert dashboard.status_code == 200
    assert '<html lang="ar" dir="rtl">' in dashboard.content.decode()

    client.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    assert '<html lang="uk" dir="ltr">' in client.get(reverse("backoffice:dashboard")).content.decode()


def test_the_switcher_offers_every_language() -> None:
    html = Client().get(reverse("backoffice:login")).content.decode()
    for code, _name in settings.LANGUAGES:
        assert f'<option value="{code}"' in html


@pytest.mark.parametrize("role", roles.role_names())
def test_every_role_can_open_the_dashboard_and_token_page(staff: Callable[..., User], role: str) -> None:
    client = Client()
    client.force_login(staff(role))
    for name in ("backoffice:dashboard", "backoffice:api_tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 200, (role, name)
