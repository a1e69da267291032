"""The warehouse's earlier paths (`/fulfilment/…`, `/api/v1/fulfilment/…`) redirect permanently to the
same place under `/fulfillment/`: bookmarks, handheld home screens and API clients keep working."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orderloop.core.services import staff_user_get_or_create
from orderloop.fulfillment.models import PickList, Wave

pytestmark = pytest.mark.django_db


def login(role: str) -> Client:
    user, _ = staff_user_get_or_create(username=f"old-paths-{role.lower()}", role=role)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_an_old_page_path_redirects_permanently_with_its_query(roles, shop, ready_order):
    order = ready_order(("TEE", 1))
    client = login("Warehouse")

    moved = client.get("/fulfilment/?warehouse=kyiv")
    assert moved.status_code == 301
    assert moved["Location"] == "/fulfillment/?warehouse=kyiv"
    queue = client.get("/fulfilment/?warehouse=kyiv", follow=True)
    assert queue.status_code == 200 and f'data-order="{order.number}"' in queue.content.decode()

    deeper = Client().get("/fulfilment/pack/kyiv/ORD%201/", {"from": "bookmark"})
    assert deeper.status_code == 301
    assert deeper["Location"] == "/fulfillment/pack/kyiv/ORD%201/?from=bookmark"


def test_a_form_posted_to_an_old_page_path_is_posted_again_to_the_new_one(roles, shop, ready_order):
    ready_order(("TEE", 1))
    client = login("Warehouse")
    form = {"warehouse": "kyiv", "method": "single", "max_orders": 10}

    moved = client.post("/fulfilment/waves/release/", form)
    assert moved.status_code == 308  # permanent, and the browser repeats the POST with its body
    assert moved["Location"] == "/fulfillment/waves/release/"
    assert not Wave.objects.exists()  # the redirect itself did nothing

    released = client.post("/fulfilment/waves/release/", form, follow=True)
    wave = Wave.objects.get()
    assert released.redirect_chain[-1] == (f"/fulfillment/waves/{wave.pk}/", 302)
    assert PickList.objects.filter(wave=wave).count() == 1


def test_an_old_api_path_redirects_permanently_and_a_call_is_repeated_unchanged(
    api_client, shop, ready_order
):
    order = ready_order(("TEE", 1))
    api = api_client("Warehouse")

    moved = api.get("/api/v1/fulfilment/queue?warehouse=kyiv")
    assert moved.status_code == 301
    assert moved["Location"] == "/api/v1/fulfillment/queue?warehouse=kyiv"
    queue = api.get("/api/v1/fulfilment/queue?warehouse=kyiv", follow=True).json()
    assert [item["number"] for item in queue["items"]] == [order.number]

    posted = api.post("/api/v1/fulfilment/queue", json.dumps({}), content_type="application/json")
    assert posted.status_code == 308
    assert posted["Location"] == "/api/v1/fulfillment/queue"
