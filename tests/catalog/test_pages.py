"""Back-office pages, driven through the Django test client as a Manager."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orderloop.catalog import services
from orderloop.catalog.models import CatalogImport, Product, Variant
from orderloop.catalog.tasks import import_catalog


@pytest.fixture
def manager(make_staff: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_staff("Manager"))
    return client


def variant_management(total: int, initial: int = 0) -> dict[str, str]:
    return {
        "variants-TOTAL_FORMS": str(total),
        "variants-INITIAL_FORMS": str(initial),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }


def test_list_search_finds_by_sku(manager: Client) -> None:
    services.product_create(
        data={"name": "Blue mug", "variants": [{"sku": "MUG-BLUE", "price": "5"}]}, actor=None
    )
    services.product_create(
        data={"name": "Red cap", "variants": [{"sku": "CAP-RED", "price": "7.5"}]}, actor=None
    )
    response = manager.get(reverse("catalog:product_list"), {"q": "mug-bl"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blue mug" in html and "Red cap" not in html
    partial = manager.get(reverse("catalog:product_list"), {"q": "cap"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Red cap" in partial.content.decode()


def test_create_form_shows_the_error_next_to_the_field_and_saves_nothing(manager: Client) -> None:
    data = {
        "name": "Scarf",
        **variant_management(1),
        "variants-0-sku": "SCARF-1",
        "variants-0-price": "12,50.0",
        "variants-0-currency": "EUR",
        "variants-0-attributes": "colour=Green",
    }
    response = manager.post(reverse("catalog:product_create"), data)
    assert response.status_code == 400
    variant_form = response.context["formset"].forms[0]
    assert "price" in variant_form.errors
    assert "12,50.0" in response.content.decode()  # what was typed stays in the form
    assert not Product.objects.filter(name="Scarf").exists()

    data["variants-0-price"] = "12.50"
    response = manager.post(reverse("catalog:product_create"), data)
    product = Product.objects.get(name="Scarf")
    assert response.status_code == 302 and response.url == reverse("catalog:product_edit", args=[product.pk])
    variant = Variant.objects.get(sku="SCARF-1")
    assert (variant.price_amount, variant.attributes) == (Decimal("12.50"), {"colour": "Green"})


def test_edit_form_reports_a_duplicate_sku_on_that_row(manager: Client, make_variant: Any) -> None:
    make_variant(sku="TAKEN")
    product = services.product_create(
        data={"name": "Hat", "variants": [{"sku": "HAT-1", "price": "9"}]}, actor=None
    )
    variant = product.variants.get()
    page = manager.get(reverse("catalog:product_edit", args=[product.pk]))
    assert page.status_code == 200 and "HAT-1" in page.content.decode()
    data = {
        "name": "Hat",
        **variant_management(2, initial=1),
        "variants-0-id": str(variant.pk),
        "variants-0-sku": "HAT-1",
        "variants-0-price": "9.00",
        "variants-0-currency": "UAH",
        "variants-1-sku": "TAKEN",
        "variants-1-price": "10",
        "variants-1-currency": "UAH",
    }
    response = manager.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert response.status_code == 400
    assert "sku" in response.context["formset"].forms[1].errors
    assert product.variants.count() == 1


def test_import_page_queues_and_status_page_shows_counts(
    manager: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("c.csv", b"product_name,sku,price\nTee,T-1,10\n", "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("catalog:product_import"), {"file": upload})
    job = CatalogImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("catalog:import_detail", args=[job.pk])
    waiting = manager.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    import_catalog.call(import_id=job.pk)
    done = manager.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in done and "1 variant created" in done


def test_export_downloads_csv(manager: Client) -> None:
    services.product_create(data={"name": "Tee", "variants": [{"sku": "T-1", "price": "10"}]}, actor=None)
    response = manager.get(reverse("catalog:product_export"))
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert text.splitlines()[1].startswith("tee,Tee,,,,T-1,,10.00,UAH")


def test_roles_without_catalog_rights_are_refused(make_staff: Callable[..., User]) -> None:
    courier = Client()
    courier.force_login(make_staff("Courier"))
    assert courier.get(reverse("catalog:product_list")).status_code == 403
    support = Client()
    support.force_login(make_staff("Support"))
    assert support.get(reverse("catalog:product_create")).status_code == 403
    assert Client().get(reverse("catalog:product_list")).status_code == 302  # to the login page


def test_list_pages_through_many_products_and_filters_archived(manager: Client) -> None:
    for n in range(30):
        services.product_create(data={"name": f"Item {n:02d}", "variants": []}, actor=None)
    archived = services.product_create(data={"name": "Old thing", "variants": []}, actor=None)
    services.product_archive(product_id=archived.pk, actor=None)
    first = manager.get(reverse("catalog:product_list")).content.decode()
    assert "Item 00" in first and "Item 29" not in first and "page=2" in first
    assert "Old thing" not in first
    second = manager.get(reverse("catalog:product_list"), {"page": 2}).content.decode()
    assert "Item 29" in second
    only_archived = manager.get(reverse("catalog:product_list"), {"status": "archived"}).content.decode()
    assert "Old thing" in only_archived and "Item 00" not in only_archived
