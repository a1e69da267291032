"""The notification pages: the user's own list, mark as read (plain post and htmx), the unread badge."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from orderloop.notifications import services
from orderloop.notifications.models import StaffNotification

pytestmark = pytest.mark.django_db


@pytest.fixture
def olena(make_staff: Any) -> Any:
    return make_staff("Manager", username="olena")


@pytest.fixture
def client_for(olena: Any) -> Client:
    client = Client()
    client.force_login(olena)
    return client


def test_the_list_needs_a_login():
    response = Client().get(reverse("notifications:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_shows_only_my_notifications_and_marks_them_read(olena, client_for, make_staff):
    taras = make_staff("Manager", username="taras")
    services.notify_staff(recipients=[olena], kind="info", message="For Olena")
    services.notify_staff(recipients=[taras], kind="info", message="For Taras")
    page = client_for.get(reverse("notifications:list"))
    assert page.status_code == 200
    assert "For Olena" in page.content.decode() and "For Taras" not in page.content.decode()

    mine = StaffNotification.objects.get(recipient=olena)
    theirs = StaffNotification.objects.get(recipient=taras)
    assert client_for.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    htmx = client_for.post(reverse("notifications:read", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and htmx["HX-Trigger"] == "notifications-changed"
    assert f'id="notification-{mine.pk}"' in htmx.content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    unread = client_for.get(reverse("notifications:list") + "?unread=1")
    assert "For Olena" not in unread.content.decode()


def test_unread_badge_and_read_all(olena, client_for):
    services.notify_staff(recipients=[olena], kind="info", message="One")
    services.notify_staff(recipients=[olena], kind="info", message="Two")
    badge = client_for.get(reverse("notifications:unread_count"))
    assert badge.status_code == 200
    assert '<span class="badge badge-bad">2</span>' in badge.content.decode()
    assert 'hx-get="/notifications/unread-count/"' in badge.content.decode()
    response = client_for.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    badge = client_for.get(reverse("notifications:unread_count"))
    assert "badge-bad" not in badge.content.decode()


def test_the_template_tag_renders_the_badge_for_the_top_bar(olena):
    services.notify_staff(recipients=[olena], kind="info", message="One")
    request = RequestFactory().get("/")
    request.user = olena
    html = Template("{% load notifications_tags %}{% unread_badge %}").render(Context({"request": request}))
    assert 'id="notifications-badge"' in html and ">1</span>" in html
