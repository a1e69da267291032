"""Running an import (the task function called directly): good orders are placed, bad ones reported,
duplicates recognised, stock reserved only for placed orders, the ledger consistent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orderloop.intake import services
from orderloop.intake.errors import ImportFileInvalid
from orderloop.intake.models import ImportStatus, OrderImport
from orderloop.intake.tasks import run_order_import
from orderloop.inventory.models import StockLevel
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.orders.models import Order

from ..orders.helpers import place
from .conftest import GOOD, csv_file

pytestmark = pytest.mark.usefixtures("shop")

ADDRESS = "UA,Kyiv,01001,Khreshchatyk 1"


def row(
    ref: str, sku: str, quantity: str, *, phone: str = "050 123 45 67", method: str = "door_delivery"
) -> str:
    return f"{ref},Buyer {ref},{phone},,{ADDRESS},{method},cod,,{sku},{quantity},"


def reserved(sku: str) -> int:
    return StockLevel.objects.get(variant__sku=sku).reserved


def run(
    content: str, file_format: str | None = None, channel: str = "marketplace", actor: Any = None
) -> OrderImport:
    job = services.order_import_start(
        file_name="export.csv" if file_format != "json" else "export.json",
        content=content,
        channel=channel,
        file_format=file_format,
        actor=actor,
    )
    run_order_import.call(import_id=job.pk)
    return OrderImport.objects.get(pk=job.pk)


def by_ref(job: OrderImport) -> dict[str, dict[str, Any]]:
    return {entry["external_ref"]: entry for entry in job.report}


def test_mixed_file_places_good_orders_and_reports_the_rest(make_staff):
    place(("CAP", 1), channel="marketplace", external_ref="MP-OLD")  # imported before
    manager = make_staff("Manager")
    content = csv_file(
        row("MP-1", "TEE", "2"),
        row("MP-2", "TEE", "1", phone="12"),  # bad phone
        row("MP-1", "CAP", "1"),  # second line of MP-1
        row("MP-3", "TEE", "9"),  # more than in stock
        row("MP-4", "NOPE", "1", method="teleport"),  # unknown SKU and delivery method
        row("MP-OLD", "CAP", "1"),
        row("MP-5", "CAP", "1"),
    )
    job = run(content, actor=manager)
    assert job.status == ImportStatus.DONE and job.finished_at is not None
    assert (job.total, job.processed, job.created_count, job.duplicate_count, job.failed_count) == (
        6,
        6,
        2,
        1,
        3,
    )
    report = by_ref(job)
    assert [entry["external_ref"] for entry in job.report] == [
        "MP-1",
        "MP-2",
        "MP-3",
        "MP-4",
        "MP-OLD",
        "MP-5",
    ]
    assert report["MP-1"]["status"] == "created" and report["MP-1"]["errors"] == {}
    assert report["MP-1"]["row"] == 2
    assert report["MP-2"] == {
        "row": 3,
        "external_ref": "MP-2",
        "status": "failed",
        "order_number": None,
        "errors": {"customer_phone": "Not a valid phone number for UA."},
    }
    assert report["MP-3"]["errors"] == {"rows.5.quantity": "Not enough stock: 9 requested, 3 available."}
    assert set(report["MP-4"]["errors"]) == {"rows.6.sku", "delivery_method"}
    old_number = Order.objects.get(external_ref="MP-OLD").number
    assert (report["MP-OLD"]["status"], report["MP-OLD"]["order_number"]) == ("duplicate", old_number)

    placed = Order.objects.get(external_ref="MP-1")
    assert report["MP-1"]["order_number"] == placed.number
    assert (placed.channel, placed.created_by) == ("marketplace", manager)
    assert sorted(placed.lines.values_list("sku", "quantity")) == [("CAP", 1), ("TEE", 2)]
    assert Order.objects.filter(channel="marketplace").count() == 3  # MP-OLD, MP-1, MP-5
    assert (reserved("TEE"), reserved("CAP")) == (2, 3)  # MP-1 (2 TEE + 1 CAP), MP-OLD, MP-5
    assert ledger_mismatches() == []


def test_running_the_same_file_again_creates_no_duplicates():
    content = csv_file(GOOD, row("MP-2", "CAP", "1"))
    first = run(content)
    assert first.created_count == 2
    again = run(content)
    assert (again.created_count, again.duplicate_count, again.failed_count) == (0, 2, 0)
    assert [entry["order_number"] for entry in again.report] == [
        entry["order_number"] for entry in first.report
    ]
    assert Order.objects.count() == 2 and reserved("TEE") == 2
    # The same reference from another channel is another order.
    assert run(content, channel="social").created_count == 2


def test_json_file_uses_the_api_rules_and_names():
    good = {
        "external_ref": "J-1",
        "customer": {"name": "Olena", "phone": "+380501234567"},
        "shipping_address": {"country": "UA", "city": "Kyiv", "postal_code": "01001", "line1": "Street 1"},
        "delivery_method": "door_delivery",
        "payment_method": "cod",
        "lines": [{"sku": "TEE", "quantity": 1, "note": "blue"}],
    }
    strict = {**good, "external_ref": "J-2", "lines": [{"sku": "TEE", "quantity": "2"}]}
    other_channel = {**good, "external_ref": "J-3", "channel": "web"}
    no_postal = {
        **good,
        "external_ref": "J-4",
        "shipping_address": {"country": "UA", "city": "Kyiv", "line1": "x"},
    }
    twice = {**good}  # the same reference again in one file
    job = run(json.dumps([good, strict, other_channel, no_postal, twice]), file_format="json")
    statuses = [(e["row"], e["external_ref"], e["status"]) for e in job.report]
    assert statuses == [
        (1, "J-1", "created"),
        (2, "J-2", "failed"),
        (3, "J-3", "failed"),
        (4, "J-4", "failed"),
        (5, "J-1", "duplicate"),
    ]
    assert set(job.report[1]["errors"]) == {"lines.0.quantity"}
    assert set(job.report[2]["errors"]) == {"channel"}
    assert job.report[3]["errors"] == {"shipping_address.postal_code": "This field is required for UA."}
    assert Order.objects.get().lines.get().note == "blue"


def test_progress_is_saved_as_it_goes(monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(services, "REPORT_EVERY", 2)
    saved: list[dict[str, Any]] = []
    original = services._save

    def spy(import_id: int, **fields: Any) -> None:
        saved.append(
            {key: value for key, value in fields.items() if key != "report"} | {"report": "report" in fields}
        )
        original(import_id, **fields)

    monkeypatch.setattr(services, "_save", spy)
    run(csv_file(row("A", "TEE", "1"), row("B", "TEE", "1"), row("C", "TEE", "1")))
    progress = [entry["processed"] for entry in saved if "processed" in entry]
    assert progress == [0, 1, 2, 3, 3]
    assert [entry["report"] for entry in saved if "processed" in entry] == [True, False, True, False, True]
    assert saved[1]["status"] == ImportStatus.PLACING and saved[-1]["status"] == ImportStatus.DONE


def test_an_interrupted_import_resumes_after_its_saved_report():
    content = csv_file(row("A", "TEE", "1"), row("B", "TEE", "1"))
    job = services.order_import_start(file_name="x.csv", content=content, actor=None)
    # As if a worker placed A, saved the report, then died.
    a = place(("TEE", 1), channel="marketplace", external_ref="A")
    saved = {"row": 2, "external_ref": "A", "status": "created", "order_number": a.number, "errors": {}}
    OrderImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.PLACING, report=[saved], processed=1, created_count=1
    )
    run_order_import.call(import_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.report[0] == saved  # A was not attempted again
    assert (job.report[1]["external_ref"], job.report[1]["status"]) == ("B", "created")
    assert (job.processed, job.created_count) == (2, 2)
    assert Order.objects.count() == 2 and reserved("TEE") == 2
    assert ledger_mismatches() == []


def test_a_finished_import_is_not_run_twice():
    job = run(csv_file(GOOD))
    run_order_import.call(import_id=job.pk)
    assert Order.objects.count() == 1 and OrderImport.objects.get(pk=job.pk).report == job.report


def test_start_refuses_an_unreadable_file_and_stores_nothing():
    with pytest.raises(ImportFileInvalid) as caught:
        services.order_import_start(file_name="x.json", content="[{", actor=None)
    assert caught.value.code == "import_file_invalid" and "file" in caught.value.details
    with pytest.raises(ImportFileInvalid):
        services.order_import_start(file_name="x.csv", content="sku,quantity\nT,1\n", actor=None)
    assert not OrderImport.objects.exists()


def test_start_queues_the_task_with_the_import():
    from django_tasks_db.models import DBTaskResult

    job = services.order_import_start(file_name="x.csv", content=csv_file(GOOD), actor=None)
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("run_order_import") and queued.args_kwargs["kwargs"] == {
        "import_id": job.pk
    }
    assert (job.status, job.total, job.format, job.channel) == ("queued", 1, "csv", "marketplace")


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_places_each_order_once():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    content = csv_file(*(row(f"R-{n}", "CAP", "1") for n in range(3)), GOOD)
    jobs = [services.order_import_start(file_name="x.csv", content=content, actor=None) for _ in range(2)]

    def work(job_id: int) -> None:
        try:
            run_order_import.call(import_id=job_id)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(work, [job.pk for job in jobs]))
    reports = [OrderImport.objects.get(pk=job.pk) for job in jobs]
    assert sum(job.created_count for job in reports) == 4
    assert sum(job.duplicate_count for job in reports) == 4
    assert Order.objects.count() == 4 and (reserved("CAP"), reserved("TEE")) == (3, 2)
    assert ledger_mismatches() == []
