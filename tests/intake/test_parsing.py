"""Reading files of orders: CSV lines grouped into orders, JSON lists, and file-level refusals."""

from __future__ import annotations

import json

import pytest

from orderloop.intake import parsing
from orderloop.intake.parsing import ImportFileError

from .conftest import HEADER, csv_file


def test_csv_rows_with_one_external_ref_form_one_order_in_file_order():
    content = csv_file(
        "A-1,Olena,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,express,TEE,2,engrave",
        "B-7,Ivan,0671234567,,UA,Lviv,79000,Rynok 1,pickup_point,card,,CAP,1,",
        "A-1,,,,,,,,,,,CAP,3,",  # a later line of A-1; blank order cells are fine
    )
    first, second = parsing.parse_csv(content)
    assert (first.row, first.external_ref, first.line_rows, first.errors) == (2, "A-1", [2, 4], {})
    assert first.payload == {
        "external_ref": "A-1",
        "customer": {"name": "Olena", "phone": "0501234567"},
        "shipping_address": {"country": "UA", "city": "Kyiv", "postal_code": "01001", "line1": "Street 1"},
        "delivery_method": "door_delivery",
        "payment_method": "cod",
        "priority": "express",
        "lines": [
            {"sku": "TEE", "quantity": 2, "note": "engrave"},
            {"sku": "CAP", "quantity": 3, "note": ""},
        ],
    }
    assert (second.row, second.external_ref, second.payload["priority"]) == (3, "B-7", "normal")


def test_csv_semicolons_bom_and_header_case():
    content = "\ufeff" + csv_file(
        "A-1,Olena,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,,TEE,1,"
    ).replace(",", ";").upper().replace("DOOR_DELIVERY", "door_delivery")
    (order,) = parsing.parse(content, "csv")
    assert order.payload["delivery_method"] == "door_delivery"
    assert order.payload["lines"] == [{"sku": "TEE", "quantity": 1, "note": ""}]


def test_csv_row_problems_are_kept_per_order_and_named_by_row_and_column():
    content = csv_file(
        "A-1,Olena,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,,TEE,two,",
        "A-1,Olga,,,,,,,,,,CAP,1,",
        ",Nobody,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,,TEE,1,",
        ",Nobody else,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,,TEE,1,",
    )
    order, no_ref, other_no_ref = parsing.parse_csv(content)
    assert order.errors == {
        "lines.0.quantity": "Not a whole number.",
        "customer_name": "Differs from row 2 of the same order.",
    }
    assert parsing.report_errors(order.errors, order, "csv") == {
        "rows.2.quantity": "Not a whole number.",
        "customer_name": "Differs from row 2 of the same order.",
    }
    assert "external_ref" in no_ref.errors and "external_ref" in other_no_ref.errors
    assert "customer_name" not in other_no_ref.errors  # rows without a reference are separate orders


def test_csv_field_names_in_the_report():
    (order,) = parsing.parse_csv(
        csv_file(
            "A-1,Olena,0501234567,,UA,Kyiv,01001,Street 1,door_delivery,cod,,TEE,1,",
            "A-1,,,,,,,,,,,CAP,1,",
        )
    )
    errors = {
        "customer.phone": "bad",
        "shipping_address.line1": "req",
        "lines.1.sku": "unknown",
        "lines": "x",
    }
    assert parsing.report_errors(errors, order, "csv") == {
        "customer_phone": "bad",
        "address_line1": "req",
        "rows.3.sku": "unknown",
        "sku": "x",
    }
    assert parsing.report_errors(errors, order, "json") == errors


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        (HEADER + "\n", "no rows"),
        ("external_ref,sku,quantity\nA,T,1\n", "lacks the columns"),
        (HEADER + ",colour\n", "Unknown columns: colour"),
        (HEADER + ",sku\nA\n", "more than once"),
    ],
)
def test_csv_file_level_problems_refuse_the_file(content, problem):
    with pytest.raises(ImportFileError) as caught:
        parsing.parse_csv(content)
    assert problem in str(caught.value)


def test_json_list_or_object_with_orders():
    body = {"external_ref": "J-1", "customer": {"name": "A", "phone": "1"}, "lines": []}
    (order,) = parsing.parse(json.dumps([body]), "json")
    assert (order.row, order.external_ref, order.payload, order.errors) == (1, "J-1", body, {})
    (order,) = parsing.parse(json.dumps({"orders": [body]}), "json")
    assert order.external_ref == "J-1"


def test_json_orders_without_reference_or_not_objects_are_reported_one_by_one():
    first, second = parsing.parse_json(json.dumps([{"customer": {}}, 5]))
    assert set(first.errors) == {"external_ref"}
    assert (second.row, set(second.errors)) == (2, {"body"})


@pytest.mark.parametrize(
    ("content", "problem"),
    [("{not json", "not valid JSON"), ('{"a": 1}', "Expected a list"), ("[]", "no orders")],
)
def test_json_file_level_problems_refuse_the_file(content, problem):
    with pytest.raises(ImportFileError) as caught:
        parsing.parse_json(content)
    assert problem in str(caught.value)


def test_format_detection():
    assert parsing.detect_format("orders.JSON", "") == "json"
    assert parsing.detect_format("orders.csv", "[") == "csv"
    assert parsing.detect_format("export", ' \n[{"a": 1}]') == "json"
    assert parsing.detect_format("export", "external_ref,sku") == "csv"
    assert parsing.detect_format("orders.json", "", "csv") == "csv"
    with pytest.raises(ImportFileError):
        parsing.detect_format("x", "", "xml")
