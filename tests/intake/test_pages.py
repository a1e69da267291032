"""Back-office pages of order imports: upload, an htmx progress bar that polls until done, the report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orderloop.intake.models import ImportStatus, OrderImport
from orderloop.intake.tasks import run_order_import

from .conftest import GOOD, csv_file

pytestmark = pytest.mark.usefixtures("shop")


@pytest.fixture
def manager(make_staff: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_staff("Manager"))
    return client


def test_upload_then_progress_then_report(manager):
    page = manager.get(reverse("intake:import_create"))
    assert page.status_code == 200 and b"external_ref" in page.content

    bad = GOOD.replace("MP-1", "MP-2").replace("050 123 45 67", "12")
    upload = SimpleUploadedFile("market.csv", csv_file(GOOD, bad).encode(), "text/csv")
    response = manager.post(reverse("intake:import_create"), {"file": upload, "channel": "marketplace"})
    job = OrderImport.objects.get()
    detail = reverse("intake:import_detail", args=[job.pk])
    assert response.status_code == 302 and response.url == detail

    waiting = manager.get(detail)
    assert waiting.status_code == 200
    html = waiting.content.decode()
    assert (
        'hx-trigger="every 1s"' in html and 'role="progressbar"' in html and "0 of 2 orders processed" in html
    )

    OrderImport.objects.filter(pk=job.pk).update(status=ImportStatus.PLACING, processed=1)
    halfway = manager.get(detail, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in halfway and 'aria-valuenow="50"' in halfway and "every 1s" in halfway

    OrderImport.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, processed=0)
    run_order_import.call(import_id=job.pk)
    done = manager.get(detail, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in done and 'aria-valuenow="100"' in done
    assert "1 order created" in done and "1 order failed" in done
    assert "MP-2" in done and "customer_phone" in done and "Not a valid phone number for UA." in done

    listing = manager.get(reverse("intake:import_list")).content.decode()
    assert "market.csv" in listing


def test_an_unreadable_file_shows_the_problem_next_to_the_field(manager):
    upload = SimpleUploadedFile("orders.csv", b"external_ref,sku\nA,T\n", "text/csv")
    response = manager.post(reverse("intake:import_create"), {"file": upload, "channel": "marketplace"})
    assert response.status_code == 400
    assert "lacks the columns" in str(response.context["form"].errors["file"])
    assert not OrderImport.objects.exists()


def test_pages_render_right_to_left_in_arabic(manager):
    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    job = OrderImport.objects.create(file_name="a.csv", format="csv", content="", total=0)
    for url in (
        reverse("intake:import_create"),
        reverse("intake:import_list"),
        reverse("intake:import_detail", args=[job.pk]),
    ):
        page = manager.get(url)
        assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()


def test_roles_without_order_entry_are_refused(make_staff: Callable[..., User]):
    client = Client()
    client.force_login(make_staff("Support"))
    assert client.get(reverse("intake:import_create")).status_code == 403
    assert client.get(reverse("intake:import_list")).status_code == 403
