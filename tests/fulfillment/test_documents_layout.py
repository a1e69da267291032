"""The printed pick list and packing slip, read back from the PDF with pdfplumber (positions of every
character and line): in every interface language the column titles stand apart, the header rule runs
under them, long product names wrap inside the page, and an Arabic document is set right to left with
its letters joined."""

from __future__ import annotations

import itertools
import unicodedata
from io import BytesIO
from typing import Any

import pdfplumber
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from orderloop.fulfillment import documents, selectors, services
from orderloop.fulfillment.models import PickList
from tests.orders.helpers import customer

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
TITLE_SIZE = 9  # the documents' column titles: bold, 9 pt, and nothing else is
LONG_NAME = {
    "uk": "Футболка оверсайз з органічної бавовни з довгим рукавом і вишивкою «Карпатські вершини» на спині",
    "ar": "قميص قطني عضوي واسع بأكمام طويلة مع تطريز قمم الكاربات على الظهر ولون رمادي فاتح",
}


@pytest.fixture(autouse=True)
def _catalogues() -> None:
    call_command("compile_translations", verbosity=0)


def pages(pdf: bytes) -> list[Any]:
    return list(pdfplumber.open(BytesIO(pdf)).pages)


def reading(chars: list[dict[str, Any]], *, rtl: bool) -> str:
    """The text of one line as a reader reads it: left to right, or right to left with joined Arabic
    letters turned back into plain ones."""
    ordered = sorted(chars, key=lambda c: c["x0"], reverse=rtl)
    return unicodedata.normalize("NFKC", "".join(c["text"] for c in ordered))


def plain(text: str) -> str:
    """Without Arabic vowel marks (harakat): the documents leave them out, as reportlab cannot place
    them over joined letters."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not unicodedata.combining(c))


def column_titles(page: Any) -> list[list[dict[str, Any]]]:
    """The header's characters grouped into titles: a gap wider than a word space starts a new one."""
    chars = sorted(
        (c for c in page.chars if round(c["size"]) == TITLE_SIZE and "Bold" in c["fontname"]),
        key=lambda c: c["x0"],
    )
    top = min(c["top"] for c in chars)
    chars = [c for c in chars if abs(c["top"] - top) < 2]  # the first header row
    groups: list[list[dict[str, Any]]] = [[chars[0]]]
    for char in chars[1:]:
        if char["x0"] - groups[-1][-1]["x1"] > 4:  # ~1.4 mm; columns are 4 mm apart
            groups.append([char])
        else:
            groups[-1].append(char)
    return groups


def assert_header_is_clean(page: Any, expected: list[str], *, rtl: bool) -> None:
    titles = column_titles(page)
    found = [reading(group, rtl=rtl).strip() for group in titles]
    assert sorted(found) == sorted(plain(t) for t in expected), f"titles run together: {found}"
    boxes = sorted((min(c["x0"] for c in g), max(c["x1"] for c in g)) for g in titles)
    for (_start, end), (next_start, _next_end) in itertools.pairwise(boxes):
        assert end + 2 <= next_start, f"titles overlap or touch: {boxes}"
    bottom = max(c["bottom"] for g in titles for c in g)
    top = min(c["top"] for g in titles for c in g)
    rules = [line for line in page.lines if abs(line["top"] - line["bottom"]) < 0.5 and line["top"] > top]
    assert rules, "no rule under the column titles"
    header_rule = min(rules, key=lambda line: line["top"])
    assert header_rule["top"] >= bottom + 1, "the header rule runs through the column titles"
    assert header_rule["x1"] - header_rule["x0"] > page.width * 0.7


def long_named_pick_list(shop: Any, ready_order: Any) -> PickList:
    product = shop.variants["TEE"].product
    product.name_translations = LONG_NAME
    product.save(update_fields=["name_translations"])
    ready_order(("TEE", 2), ("SOCKS", 1))
    ready_order(("TEE", 1))
    wave = services.wave_release(method="batch", warehouse_code="kyiv", batch_size=2, actor=None)
    return wave.pick_lists.get()


@pytest.mark.parametrize("language", LANGUAGES)
def test_pick_list_titles_stand_apart_and_the_rule_runs_under_them(shop, ready_order, language):
    pick_list = long_named_pick_list(shop, ready_order)
    with translation.override(language):
        pdf = documents.render_pick_list_pdf(pick_list)
        expected = [translation.gettext(t) for t in ("Bin", "Qty", "Picked", "Item")]
    assert_header_is_clean(pages(pdf)[0], expected, rtl=language == "ar")


@pytest.mark.parametrize("language", LANGUAGES)
def test_packing_slip_titles_stand_apart_and_the_rule_runs_under_them(shop, ready_order, language):
    order = ready_order(("TEE", 1), ("SOCKS", 2), customer=customer(phone="+380501112299", language=language))
    services.wave_release(method="single", warehouse_code="kyiv", actor=None)
    pick_list = PickList.objects.get()
    for row in selectors.pick_rows(pick_list):
        services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None)
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    services.parcel_scan(parcel_id=parcel.pk, code=shop.variants["TEE"].barcode, actor=None)
    parcel = services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=300, actor=None)
    pdf = documents.render_packing_slip_pdf(parcel)
    with translation.override(language):
        expected = [translation.gettext(t) for t in ("Item", "Qty", "To follow")]
    assert_header_is_clean(pages(pdf)[0], expected, rtl=language == "ar")


@pytest.mark.parametrize("language", ["uk", "ar"])
def test_a_long_product_name_wraps_inside_the_page(shop, ready_order, language):
    pick_list = long_named_pick_list(shop, ready_order)
    with translation.override(language):
        page = pages(documents.render_pick_list_pdf(pick_list))[0]
    bold = [c for c in page.chars if round(c["size"]) == 10 and "Bold" in c["fontname"]]
    lines: dict[int, list[dict[str, Any]]] = {}
    for char in bold:
        lines.setdefault(round(char["top"]), []).append(char)
    rtl = language == "ar"
    text = " ".join(reading(chars, rtl=rtl) for _top, chars in sorted(lines.items()))
    wanted = unicodedata.normalize("NFKC", LONG_NAME[language])
    assert " ".join(wanted.split()) in " ".join(text.split()), "the long name is cut"
    assert len(lines) >= 2, "the long name is on one line (cut, not wrapped)"
    margin = 18 * 72 / 25.4
    assert all(margin - 1 <= c["x0"] and c["x1"] <= page.width - margin + 1 for c in bold)


def test_an_arabic_packing_slip_reads_right_to_left_with_joined_letters(shop, ready_order):
    order = ready_order(("TEE", 1), customer=customer(phone="+380501112298", language="ar"))
    services.wave_release(method="single", warehouse_code="kyiv", actor=None)
    pick_list = PickList.objects.get()
    for row in selectors.pick_rows(pick_list):
        services.pick_confirm(pick_list_id=pick_list.pk, code=row.barcode, actor=None)
    parcel = services.parcel_open(order_id=order.pk, warehouse_code="kyiv", actor=None)
    services.parcel_scan(parcel_id=parcel.pk, code=shop.variants["TEE"].barcode, actor=None)
    parcel = services.parcel_pack(parcel_id=parcel.pk, box_code="s", weight_g=300, actor=None)
    page = pages(documents.render_packing_slip_pdf(parcel))[0]
    with translation.override("ar"):
        title = translation.gettext("Packing slip")
        delivery = translation.gettext("Delivery")
    heading = [c for c in page.chars if round(c["size"]) == 18]
    # Drawn as joined letters (Arabic Presentation Forms), in right-to-left order, against the right margin.
    assert any(0xFE70 <= ord(c["text"]) <= 0xFEFF for c in heading)
    assert reading(heading, rtl=True) == plain(title)
    margin = 18 * 72 / 25.4
    assert max(c["x1"] for c in heading) == pytest.approx(page.width - margin, abs=1)
    # The delivery method in Arabic, and the address keeps its own left-to-right order.
    words = page.extract_text()
    assert unicodedata.normalize("NFKC", words).count("01001 Kyiv") == 1
    rows = {}
    for char in page.chars:
        rows.setdefault(round(char["top"]), []).append(char)
    read = [reading(chars, rtl=True) for chars in rows.values()]
    assert any(plain(delivery) in line and "توصيل بالمندوب إلى الباب" in line for line in read), read
