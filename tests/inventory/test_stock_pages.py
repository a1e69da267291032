"""Back-office stock pages through the Django test client, logged in as a Warehouse user."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from orderloop.inventory.models import BinLocation, StockLevel, StockMovement, Warehouse
from orderloop.inventory.selectors import ledger_mismatches
from orderloop.inventory.services import stock_adjust, stock_reserve

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_staff):
    def login(role: str):
        client.force_login(make_staff(role))
        return client

    return login


@pytest.fixture
def warehouse_user(staff_client):
    return staff_client("Warehouse")


@pytest.fixture
def stocked(make_variant, warehouse):
    """Plenty of one variant, little of another, none available of a third."""
    plenty = make_variant("PLENTY-1", barcode="4820000000024")
    few = make_variant("FEW-1")
    gone = make_variant("GONE-1")
    stock_adjust(variant=plenty, warehouse=warehouse, delta=50, actor=None)
    stock_adjust(variant=few, warehouse=warehouse, delta=2, actor=None)
    gone_row = stock_adjust(variant=gone, warehouse=warehouse, delta=3, actor=None)
    stock_reserve(stock_id=gone_row.pk, quantity=3, actor=None, reference="order 1")
    return {"plenty": plenty, "few": few, "gone": gone}


def row_html(html: str, sku: str, warehouse: str = "kyiv") -> str:
    match = re.search(
        rf'<tr data-sku="{re.escape(sku)}" data-warehouse="{re.escape(warehouse)}"[^>]*>.*?</tr>', html, re.S
    )
    assert match, f"no row for {sku}@{warehouse}"
    return match.group(0)


def cell(row: str, css_class: str) -> int:
    match = re.search(rf'<td class="num {css_class}"><span dir="ltr">(-?\d+)</span>', row)
    assert match, f"no {css_class} cell in {row}"
    return int(match.group(1))


def test_stock_page_lists_rows(warehouse_user, stocked):
    response = warehouse_user.get(reverse("inventory:stock_list"))
    assert response.status_code == 200
    html = response.content.decode()
    plenty = row_html(html, "PLENTY-1")
    assert (cell(plenty, "on-hand"), cell(plenty, "reserved"), cell(plenty, "available")) == (50, 0, 50)
    assert "Product 1" in plenty and "M / Red" in plenty
    gone = row_html(html, "GONE-1")
    assert 'class="low out"' in gone and "badge-bad" in gone
    assert 'class="low"' in row_html(html, "FEW-1")
    assert 'class="low' not in plenty
    # the adjustment form and its stable hooks
    for field_id in ("id_sku", "id_warehouse", "id_quantity", "id_reason"):
        assert f'id="{field_id}"' in html
    poll = settings.ORDERLOOP["STOCK_PAGE_POLL_SECONDS"]
    assert f'hx-trigger="every {poll}s"' in html


def test_low_filter_shows_only_low_rows(warehouse_user, stocked):
    html = warehouse_user.get(reverse("inventory:stock_list"), {"low": "1"}).content.decode()
    skus = re.findall(r'<tr data-sku="([^"]+)"', html)
    assert sorted(skus) == ["FEW-1", "GONE-1"]
    assert 'hx-get="/stock/rows/?low=1"' in html  # the poll keeps the filter


def test_search_by_barcode_and_warehouse_filter(warehouse_user, stocked, second_warehouse):
    html = warehouse_user.get(reverse("inventory:stock_list"), {"q": "4820000000024"}).content.decode()
    assert re.findall(r'<tr data-sku="([^"]+)"', html) == ["PLENTY-1"]
    html = warehouse_user.get(reverse("inventory:stock_list"), {"warehouse": "lviv"}).content.decode()
    assert re.findall(r'<tr data-sku="([^"]+)"', html) == []


def test_htmx_partial_returns_just_the_table_body(warehouse_user, stocked):
    url = reverse("inventory:stock_table")
    response = warehouse_user.get(url, {"low": "1", "q": "FEW"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith("<tbody") and html.endswith("</tbody>")
    assert "<html" not in html and "<thead" not in html
    assert re.findall(r'<tr data-sku="([^"]+)"', html) == ["FEW-1"]
    assert 'hx-get="/stock/rows/?q=FEW&amp;low=1"' in html


def test_a_change_made_elsewhere_shows_up_in_the_next_poll(warehouse_user, stocked, warehouse):
    stock_adjust(variant=stocked["plenty"], warehouse=warehouse, delta=-7, actor=None)
    html = warehouse_user.get(reverse("inventory:stock_table")).content.decode()
    assert cell(row_html(html, "PLENTY-1"), "on-hand") == 43


def test_stock_list_paginates(warehouse_user, make_variant, warehouse):
    for n in range(105):
        stock_adjust(variant=make_variant(f"BULK-{n:03d}"), warehouse=warehouse, delta=10, actor=None)
    first = warehouse_user.get(reverse("inventory:stock_list")).content.decode()
    assert len(re.findall(r"<tr data-sku=", first)) == 100
    assert "page=2" in first
    second = warehouse_user.get(reverse("inventory:stock_list"), {"page": 2}).content.decode()
    assert len(re.findall(r"<tr data-sku=", second)) == 5
    assert 'hx-get="/stock/rows/?page=2"' in second


def test_adjustment_form_posts_and_page_shows_new_quantity(warehouse_user, stocked):
    response = warehouse_user.post(
        reverse("inventory:stock_adjust"),
        {"sku": "PLENTY-1", "warehouse": "kyiv", "quantity": "-5", "reason": "adjustment", "note": "damaged"},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "msg-success" in html
    assert cell(row_html(html, "PLENTY-1"), "on-hand") == 45
    movement = StockMovement.objects.order_by("-id").first()
    assert (movement.on_hand_delta, movement.note, movement.actor.username) == (-5, "damaged", "warehouse")
    # the next form remembers the warehouse and the reason (a scanning session)
    assert re.search(r'<option value="kyiv" selected>', html)
    assert re.search(r'<option value="adjustment" selected>', html)


def test_scanned_barcode_is_accepted_in_the_sku_field(warehouse_user, stocked):
    response = warehouse_user.post(
        reverse("inventory:stock_adjust"),
        {"sku": "4820000000024", "warehouse": "kyiv", "quantity": "3", "reason": "receipt"},
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(variant=stocked["plenty"]).on_hand == 53


def test_below_reserved_is_shown_as_a_form_error(warehouse_user, stocked):
    movements = StockMovement.objects.count()
    response = warehouse_user.post(
        reverse("inventory:stock_adjust"),
        {"sku": "GONE-1", "warehouse": "kyiv", "quantity": "-1", "reason": "adjustment"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist nonfield"' in html
    assert "cannot drop below the units reserved" in html
    assert 'value="GONE-1"' in html  # the form keeps what was typed
    assert cell(row_html(html, "GONE-1"), "reserved") == 3  # and shows why
    assert StockMovement.objects.count() == movements
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sku": "NOPE", "quantity": "1"}, "sku"),
        ({"sku": "FEW-1", "quantity": "0"}, "quantity"),
        ({"sku": "FEW-1", "quantity": "1.5"}, "quantity"),
        ({"sku": "FEW-1", "quantity": "abc"}, "quantity"),
        ({"sku": "FEW-1", "quantity": "99999999999"}, "quantity"),
        ({"sku": "FEW-1", "quantity": "1", "warehouse": "nowhere"}, "warehouse"),
        ({"sku": "FEW-1", "quantity": "1", "reason": "reservation"}, "reason"),
    ],
)
def test_bad_input_is_a_field_error_not_a_500(warehouse_user, stocked, data, field):
    body = {"warehouse": "kyiv", "reason": "receipt"} | data
    response = warehouse_user.post(reverse("inventory:stock_adjust"), body)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<div class="field field-invalid">.*?id="id_{field}"', html, re.S) or re.search(
        rf'id="id_{field}"[^>]*aria-invalid="true"', html
    )
    assert StockMovement.objects.count() == 4


def test_count_form(warehouse_user, stocked):
    page = warehouse_user.get(reverse("inventory:stock_count"), {"sku": "FEW-1", "warehouse": "kyiv"})
    assert 'id="id_counted"' in page.content.decode()
    response = warehouse_user.post(
        reverse("inventory:stock_count"), {"sku": "FEW-1", "warehouse": "kyiv", "counted": "9"}, follow=True
    )
    assert cell(row_html(response.content.decode(), "FEW-1"), "on-hand") == 9
    refused = warehouse_user.post(
        reverse("inventory:stock_count"), {"sku": "GONE-1", "warehouse": "kyiv", "counted": "1"}
    )
    assert 'class="errorlist nonfield"' in refused.content.decode()
    assert ledger_mismatches() == []


def test_ledger_page(warehouse_user, stocked, warehouse):
    warehouse_user.post(
        reverse("inventory:stock_adjust"),
        {"sku": "FEW-1", "warehouse": "kyiv", "quantity": "4", "reason": "return", "reference": "RMA-9"},
    )
    html = warehouse_user.get(
        reverse("inventory:stock_movements"), {"sku": "FEW-1", "warehouse": "kyiv"}
    ).content
    html = html.decode()
    reasons = re.findall(r'data-reason="([a-z]+)"', html)
    assert reasons == ["return", "adjustment"]  # newest first
    assert "Return" in html and "RMA-9" in html and "+4" in html and ">warehouse<" in html
    unknown = warehouse_user.get(reverse("inventory:stock_movements"), {"sku": "NOPE"})
    assert unknown.status_code == 200 and "No variant has this SKU." in unknown.content.decode()


def test_bin_assignment_from_the_ledger_page(warehouse_user, stocked, warehouse):
    bin = BinLocation.objects.create(
        warehouse=warehouse, zone="A", aisle="01", shelf="01", bin="01", code="A-01-01-01"
    )
    response = warehouse_user.post(
        reverse("inventory:stock_assign_bin"),
        {"sku": "FEW-1", "warehouse": "kyiv", "bin": bin.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert StockLevel.objects.get(variant=stocked["few"]).bin == bin


def test_roles_and_login(client, staff_client, stocked):
    anonymous = client.get(reverse("inventory:stock_list"))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    support = staff_client("Support")
    assert support.get(reverse("inventory:stock_list")).status_code == 200
    assert 'id="id_quantity"' not in support.get(reverse("inventory:stock_list")).content.decode()
    response = support.post(
        reverse("inventory:stock_adjust"),
        {"sku": "FEW-1", "warehouse": "kyiv", "quantity": "1", "reason": "receipt"},
    )
    assert response.status_code == 403
    assert StockMovement.objects.count() == 4


def test_arabic_stock_page_is_right_to_left(warehouse_user, stocked):
    warehouse_user.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = warehouse_user.get(reverse("inventory:stock_list")).content.decode()
    assert 'dir="rtl"' in html
    assert 'data-sku="PLENTY-1"' in html


# --- warehouses ------------------------------------------------------------------------------------


def test_admin_creates_a_warehouse_and_a_bin(staff_client):
    admin = staff_client("Admin")
    response = admin.post(
        reverse("inventory:warehouse_list"),
        {"code": "odesa", "name": "Odesa", "country": "UA", "priority": "5", "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert Warehouse.objects.get(code="odesa").priority == 5
    url = reverse("inventory:warehouse_detail", args=["odesa"])
    response = admin.post(url, {"zone": "a", "aisle": "1", "shelf": "2", "bin": "3"}, follow=True)
    assert 'data-bin="A-01-02-03"' in response.content.decode()
    duplicate = admin.post(url, {"zone": "A", "aisle": "01", "shelf": "02", "bin": "03"})
    assert duplicate.status_code == 200
    assert "already has a bin location" in duplicate.content.decode()
    again = admin.post(
        reverse("inventory:warehouse_list"), {"code": "ODESA", "name": "X", "country": "UA", "priority": "1"}
    )
    assert "already exists" in again.content.decode()
    bad_country = admin.post(
        reverse("inventory:warehouse_list"), {"code": "w2", "name": "X", "country": "XX", "priority": "1"}
    )
    assert 'id="id_country"' in bad_country.content.decode() and "errorlist" in bad_country.content.decode()
    edit = admin.post(
        reverse("inventory:warehouse_edit", args=["odesa"]),
        {"code": "odesa", "name": "Odesa port", "country": "UA", "priority": "5", "is_active": "on"},
    )
    assert edit.status_code == 302
    assert Warehouse.objects.get(code="odesa").name == "Odesa port"


def test_warehouse_pages_for_a_warehouse_user(warehouse_user, stocked, warehouse):
    html = warehouse_user.get(reverse("inventory:warehouse_list")).content.decode()
    assert 'data-warehouse="kyiv"' in html and 'name="country"' not in html
    assert warehouse_user.post(reverse("inventory:warehouse_list"), {"code": "x"}).status_code == 403
    detail = warehouse_user.get(reverse("inventory:warehouse_detail", args=["kyiv"]))
    assert detail.status_code == 200
    assert warehouse_user.get(reverse("inventory:warehouse_detail", args=["nowhere"])).status_code == 404
