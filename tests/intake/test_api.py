"""API contracts of /api/v1/orders/imports: 202 with a status URL, 401/403, 422 for an unreadable file,
and the status with progress and the per-order report."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.intake.models import OrderImport
from orderloop.intake.tasks import run_order_import
from orderloop.orders.models import Order

from .conftest import GOOD, csv_file

pytestmark = pytest.mark.usefixtures("shop")

URL = "/api/v1/orders/imports"


@pytest.fixture
def manager(api_client) -> Client:
    return api_client("Manager")


def upload(client: Client, content: str, name: str = "orders.csv", **fields: str):
    return client.post(URL, {"file": SimpleUploadedFile(name, content.encode(), "text/csv"), **fields})


def test_multipart_upload_is_accepted_then_reports_per_order(manager):
    response = upload(manager, csv_file(GOOD, GOOD.replace("MP-1", "MP-2").replace(",TEE,2,", ",NOPE,1,")))
    assert response.status_code == 202, response.json()
    body = response.json()
    job = OrderImport.objects.get()
    assert body == {"id": job.pk, "status": "queued", "total": 2, "status_url": f"{URL}/{job.pk}"}
    assert response["Location"] == body["status_url"]

    queued = manager.get(body["status_url"]).json()
    assert (queued["status"], queued["progress_percent"], queued["report"]) == ("queued", 0, [])

    run_order_import.call(import_id=job.pk)
    done = manager.get(body["status_url"]).json()
    assert done["status"] == "done" and done["progress_percent"] == 100
    assert (done["total"], done["processed"], done["created_count"], done["failed_count"]) == (2, 2, 1, 1)
    assert done["report"] == [
        {
            "row": 2,
            "external_ref": "MP-1",
            "status": "created",
            "order_number": Order.objects.get().number,
            "errors": {},
        },
        {
            "row": 3,
            "external_ref": "MP-2",
            "status": "failed",
            "order_number": None,
            "errors": {"rows.3.sku": "No product has this SKU."},
        },
    ]
    listed = manager.get(URL).json()
    assert [item["id"] for item in listed] == [job.pk] and "report" not in listed[0]


def test_json_body_with_the_orders_themselves(manager):
    order = {
        "external_ref": "J-1",
        "customer": {"name": "Olena", "phone": "+380501234567"},
        "shipping_address": {"country": "UA", "city": "Kyiv", "postal_code": "01001", "line1": "Street 1"},
        "delivery_method": "door_delivery",
        "payment_method": "cod",
        "lines": [{"sku": "TEE", "quantity": 1}],
    }
    response = manager.post(
        URL, data=json.dumps({"content": [order], "channel": "social"}), content_type="application/json"
    )
    assert response.status_code == 202, response.json()
    job = OrderImport.objects.get()
    assert (job.format, job.channel, job.total) == ("json", "social", 1)
    run_order_import.call(import_id=job.pk)
    assert Order.objects.get().channel == "social"

    as_text = {"format": "csv", "content": csv_file(GOOD)}
    response = manager.post(URL, data=json.dumps(as_text), content_type="application/json")
    assert response.status_code == 202 and OrderImport.objects.count() == 2


def test_unreadable_file_is_422_and_nothing_is_queued(manager):
    response = upload(manager, "[{broken", name="orders.json")
    assert response.status_code == 422
    assert response.json()["code"] == "import_file_invalid" and "file" in response.json()["details"]
    response = upload(manager, "external_ref,sku\nA,T\n")
    assert response.status_code == 422 and "lacks the columns" in response.json()["details"]["file"]
    response = manager.post(URL, {"channel": "marketplace"})
    assert response.status_code == 422 and "file" in response.json()["details"]
    response = manager.post(URL, data="{", content_type="application/json")
    assert response.status_code == 422
    response = upload(manager, csv_file(GOOD), channel="web")
    assert response.status_code == 422 and "channel" in response.json()["details"]
    response = manager.post(URL, {"file": SimpleUploadedFile("x.csv", "é".encode("latin-1"))})
    assert response.status_code == 422 and response.json()["code"] == "import_file_invalid"
    assert not OrderImport.objects.exists()


def test_no_token_is_401_and_roles_without_order_entry_are_403(api_client):
    assert Client().post(URL, {"file": SimpleUploadedFile("x.csv", b"x")}).status_code == 401
    assert Client().get(f"{URL}/1").status_code == 401
    support = api_client("Support")
    assert upload(support, csv_file(GOOD)).status_code == 403
    assert support.get(URL).status_code == 403


def test_unknown_import_is_404(manager):
    response = manager.get(f"{URL}/999")
    assert response.status_code == 404 and response.json()["code"] == "order_import_not_found"


def test_idempotency_key_returns_the_first_answer(manager):
    headers = {"Idempotency-Key": "k-1"}
    content = csv_file(GOOD)
    one = manager.post(URL, {"file": SimpleUploadedFile("a.csv", content.encode())}, headers=headers)
    two = manager.post(URL, {"file": SimpleUploadedFile("a.csv", content.encode())}, headers=headers)
    assert one.status_code == two.status_code == 202
    assert one.json() == two.json() and two["Idempotent-Replayed"] == "true"
    assert OrderImport.objects.count() == 1
    other = manager.post(URL, {"file": SimpleUploadedFile("a.csv", b"x" + content.encode())}, headers=headers)
    assert other.status_code == 409
