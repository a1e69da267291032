"""CSV import/export: round trip, upsert, row/column errors with nothing written, progress."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orderloop.catalog import csv_io, services
from orderloop.catalog.domain import ean13_with_check_digit
from orderloop.catalog.models import CatalogImport, Category, ImportStatus, Product, Variant
from orderloop.catalog.tasks import import_catalog

EAN = ean13_with_check_digit("482000000007")
HEADER = (
    "product_handle,product_name,category,sku,barcode,price,currency,weight_g,attr:size,attr:colour,name:uk\n"
)


def run(content: str) -> CatalogImport:
    job = CatalogImport.objects.create(file_name="test.csv", content=content)
    import_catalog.call(import_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_import_creates_products_variants_and_categories() -> None:
    job = run(
        "\ufeff"
        + HEADER
        + f"tee,Linen tee,tees,TEE-M,{EAN},129.90,uah,180,M,Red,Футболка\n"
        + "tee,Linen tee,tees,TEE-L,,139.90,,,L,Red,\n"
        + "\n"
        + ",Cap,,CAP-1,,50,EUR,,,,\n"
    )
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.processed_rows, job.progress_percent) == (3, 3, 100)
    assert (job.created_products, job.created_variants, job.updated_variants) == (2, 3, 0)
    tee = Product.objects.get(handle="tee")
    assert tee.name_translations == {"uk": "Футболка"}
    assert tee.category == Category.objects.get(slug="tees")
    m = Variant.objects.get(sku="TEE-M")
    assert (m.price_amount, m.currency, m.barcode_type, m.weight_g) == (
        Decimal("129.90"),
        "UAH",
        "ean13",
        180,
    )
    assert m.attributes == {"size": "M", "colour": "Red"}
    assert Variant.objects.get(sku="TEE-L").currency == "UAH"  # shop default
    assert Variant.objects.get(sku="CAP-1").product.handle == "cap"


@pytest.mark.django_db
def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_written(make_variant: Any) -> None:
    make_variant(sku="TAKEN", barcode=EAN)
    job = run(
        HEADER
        + "tee,Linen tee,tees,TEE-M,,12.5.0,UAH,,M,Red,\n"  # row 2: price
        + "tee,Linen tee,tees,TEE-L,,10,ZZZ,,L,Red,\n"  # row 3: currency
        + "tee,Linen tee,tees,TEE-M,,10,UAH,,S,Red,\n"  # row 4: SKU repeated from row 2
        + f"tee,Linen tee,tees,TEE-S,{EAN},10,UAH,,S,Red,\n"  # row 5: barcode of TAKEN
        + "tee,Linen tee,tees,TEE-XL,,10,UAH,-3,XL,Red,\n"  # row 6: weight
        + "tee,Linen tee,tees,TEE-XXL,,10,UAH,,XXL,Red,\n"  # fine
    )
    assert job.status == ImportStatus.FAILED
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(2, "price"), (3, "currency"), (4, "sku"), (5, "barcode"), (6, "weight_g")}
    assert "row 2" in next(e["message"] for e in job.errors if e["row"] == 4)
    assert not Product.objects.filter(handle="tee").exists()
    assert not Category.objects.filter(slug="tees").exists()
    assert Variant.objects.count() == 1


@pytest.mark.django_db
def test_unknown_column_and_missing_sku_column_fail_on_the_header() -> None:
    job = run("product_name,prcie\nTee,10\n")
    assert job.status == ImportStatus.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(1, "prcie"), (1, "sku")}


@pytest.mark.django_db
def test_new_variant_needs_price_and_product_name() -> None:
    job = run("product_handle,sku,price\nnew-thing,N-1,\n")
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "price"), (2, "product_name")}


@pytest.mark.django_db
def test_upsert_updates_existing_variants_and_keeps_empty_cells() -> None:
    services.product_create(
        data={
            "name": "Tee",
            "handle": "tee",
            "variants": [
                {
                    "sku": "TEE-M",
                    "price": "10.00",
                    "currency": "EUR",
                    "barcode": EAN,
                    "weight_g": 100,
                    "attributes": {"size": "M"},
                },
            ],
        },
        actor=None,
    )
    job = run("sku;price;weight_g;attr:colour\nTEE-M;12.00;;Blue\nTEE-M2;;;\n")
    # TEE-M2 is new and has neither price nor product: the whole file is refused first.
    assert job.status == ImportStatus.FAILED
    job = run("sku;price;weight_g;attr:colour\nTEE-M;12.00;;Blue\n")
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.created_variants, job.updated_variants) == (0, 1)
    variant = Variant.objects.get(sku="TEE-M")
    assert (variant.price_amount, variant.currency, variant.weight_g, variant.barcode) == (
        Decimal("12.00"),
        "EUR",
        100,
        EAN,
    )
    assert variant.attributes == {"size": "M", "colour": "Blue"}


@pytest.mark.django_db
def test_sku_cannot_move_to_another_product_by_import() -> None:
    services.product_create(
        data={"name": "Tee", "handle": "tee", "variants": [{"sku": "TEE-M", "price": "10"}]}, actor=None
    )
    job = run("product_handle,product_name,sku,price\nother,Other,TEE-M,10\n")
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "product_handle")]


@pytest.mark.django_db
def test_export_then_import_round_trip() -> None:
    Category.objects.create(name="Tees", slug="tees")
    services.product_create(
        data={
            "name": 'Tee "classic", red',
            "category": "tees",
            "description": "Line one\nline two; with semicolon",
            "image_url": "https://example.com/tee.jpg",
            "name_translations": {"uk": "Футболка", "ar": "قميص"},
            "variants": [
                {
                    "sku": "T-1",
                    "price": "129.90",
                    "currency": "UAH",
                    "barcode": EAN,
                    "weight_g": 180,
                    "length_mm": 1,
                    "width_mm": 2,
                    "height_mm": 3,
                    "attributes": {"size": "M", "colour": "Red"},
                },
                {"sku": "T-2", "price": "0.50", "currency": "EUR", "attributes": {"size": "L"}},
            ],
        },
        actor=None,
    )
    services.product_create(data={"name": "Mug", "variants": [{"sku": "MUG", "price": "5"}]}, actor=None)
    fields = [
        "sku",
        "barcode",
        "barcode_type",
        "attributes",
        "price_amount",
        "currency",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "product__handle",
        "product__name",
        "product__description",
        "product__image_url",
        "product__category__slug",
        "product__name_translations",
    ]
    before = list(Variant.objects.order_by("sku").values(*fields))
    exported = csv_io.export_csv_text()
    assert exported.startswith("\ufeff")

    # Re-importing into the same catalog changes nothing ...
    again = run(exported)
    assert again.status == ImportStatus.DONE, again.errors
    assert (again.created_variants, again.updated_variants) == (0, 3)
    assert list(Variant.objects.order_by("sku").values(*fields)) == before

    # ... and into an empty catalog recreates it.
    Variant.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.all().delete()
    fresh = run(exported)
    assert fresh.status == ImportStatus.DONE, fresh.errors
    assert (fresh.created_products, fresh.created_variants) == (2, 3)
    assert list(Variant.objects.order_by("sku").values(*fields)) == before


@pytest.mark.django_db
def test_progress_is_reported_while_checking() -> None:
    rows = "".join(f"p{n // 4},Product {n // 4},S-{n},10.00\n" for n in range(1200))
    seen: list[int] = []
    totals: list[int] = []
    plan = csv_io.build_plan(
        "product_handle,product_name,sku,price\n" + rows,
        default_currency="UAH",
        on_start=totals.append,
        on_progress=seen.append,
    )
    assert not plan.errors
    assert totals == [1200]
    assert seen == [500, 1000, 1200]
    job = run("product_handle,product_name,sku,price\n" + rows)
    assert (job.status, job.processed_rows, job.total_rows, job.created_products) == ("done", 1200, 1200, 300)
    assert job.finished_at is not None


@pytest.mark.django_db
def test_finished_import_is_not_run_twice() -> None:
    job = run("product_name,sku,price\nTee,T-1,10\n")
    Variant.objects.filter(sku="T-1").update(price_amount=Decimal("99"))
    import_catalog.call(import_id=job.pk)
    assert Variant.objects.get(sku="T-1").price_amount == Decimal("99")


@pytest.mark.django_db
def test_start_enqueues_the_task_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        job = services.catalog_import_start(file_name="a.csv", content="sku\n", actor=None)
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("import_catalog")
    assert queued.args_kwargs["kwargs"] == {"import_id": job.pk}


def test_decode_refuses_non_utf8() -> None:
    with pytest.raises(csv_io.CsvFormatError):
        csv_io.decode_upload("Футболка".encode("cp1251"))
    assert csv_io.decode_upload("\ufeffsku".encode()) == "sku"
