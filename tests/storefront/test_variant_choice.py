"""Choosing a variant by its attributes (issue 16): a picker per attribute that offers only the
combinations that exist, each with its availability; the add-to-cart form works without JavaScript
(the pickers' values name the variant) and refuses a combination that does not exist."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from orderloop.catalog.models import Product, Variant
from orderloop.inventory.models import Warehouse
from orderloop.inventory.services import stock_adjust
from orderloop.storefront.domain import (
    StockedCombination,
    attribute_pickers,
    picker_axes,
    resolve_combination,
)
from orderloop.storefront.models import CartLine

# Sizes S, M, L in Red; S and M in Blue (no Blue L). Units: Red S 0, Red M 3, Red L 9, Blue S 2, Blue M 0.
STOCK = {("S", "Red"): 0, ("M", "Red"): 3, ("L", "Red"): 9, ("S", "Blue"): 2, ("M", "Blue"): 0}


def combos() -> list[StockedCombination]:
    return [
        StockedCombination(attributes={"size": size, "colour": colour}, available=units, orderable=units > 0)
        for (size, colour), units in STOCK.items()
    ]


def _options(picker: Any) -> dict[str, tuple[bool, bool, int]]:
    return {o.value: (o.enabled, o.selected, o.available) for o in picker.options}


def test_pickers_offer_only_combinations_that_exist_with_each_ones_availability() -> None:
    items = combos()
    axes = picker_axes(items)
    assert axes == ["size", "colour"]
    red_l = 2
    size, colour = attribute_pickers(axes, items, red_l)
    # Every size exists (in some colour); units are what the size has in any colour.
    assert _options(size) == {"S": (True, False, 2), "M": (True, False, 3), "L": (True, True, 9)}
    # In size L only Red exists: Blue is shown but cannot be chosen.
    assert _options(colour) == {"Red": (True, True, 9), "Blue": (False, False, 0)}
    blue_s = 3
    size, colour = attribute_pickers(axes, items, blue_s)
    assert _options(colour) == {"Red": (True, False, 0), "Blue": (True, True, 2)}
    # Choosing size L from Blue S lands on Red L (the colour that exists in L); Red from Blue S on Red S.
    targets = {o.value: items[o.target].attributes for o in size.options}
    assert targets["L"] == {"size": "L", "colour": "Red"}
    assert {o.value: items[o.target].attributes for o in colour.options}["Red"] == {
        "size": "S",
        "colour": "Red",
    }


def test_a_choice_lands_on_a_variant_that_exists_preferring_one_that_can_be_ordered() -> None:
    items = combos()
    axes = ["size", "colour"]
    assert (
        items[resolve_combination(axes, items, {"size": "M", "colour": "Blue"})].attributes["colour"]
        == "Blue"
    )
    assert items[resolve_combination(axes, items, {"size": "L", "colour": "Blue"})].attributes == {
        "size": "L",
        "colour": "Red",
    }
    # Size M with no colour asked: Red M has units, Blue M has none.
    assert items[resolve_combination(axes, items, {"size": "M"})].attributes["colour"] == "Red"


def test_variants_that_attributes_cannot_tell_apart_are_listed_one_by_one() -> None:
    def item(**attributes: str) -> StockedCombination:
        return StockedCombination(attributes=attributes, available=1, orderable=True)

    assert picker_axes([item(), item()]) is None  # no attributes
    assert picker_axes([item(size="S"), item(size="S")]) is None  # the same values twice
    assert picker_axes([item(size="S", colour="Red"), item(size="M")]) is None  # one lacks a colour
    assert picker_axes([item(colour="Natural")]) == ["colour"]


@pytest.fixture
def polo(warehouse: Warehouse, methods: None) -> dict[tuple[str, str], Variant]:
    product = Product.objects.create(handle="polo", name="Polo")
    variants = {}
    for (size, colour), units in STOCK.items():
        variant = Variant.objects.create(
            product=product,
            sku=f"POLO-{colour.upper()}-{size}",
            price_amount=Decimal("900.00") if colour == "Blue" else Decimal("800.00"),
            currency="UAH",
            attributes={"size": size, "colour": colour},
        )
        if units:
            stock_adjust(variant=variant, warehouse=warehouse, delta=units, actor=None)
        variants[(size, colour)] = variant
    return variants


@pytest.mark.django_db
def test_product_page_has_a_fieldset_per_attribute_and_disables_what_does_not_exist(polo) -> None:
    html = Client().get("/shop/p/polo/?attr-size=L&attr-colour=Red").content.decode()
    assert html.count('<fieldset class="variant-choice"') == 2
    assert "<legend>Size</legend>" in html and "<legend>Colour</legend>" in html
    blue = html.split('value="Blue"', 1)[1].split(">", 1)[0]
    assert "disabled" in blue  # no Blue in size L
    assert "9 left" not in html and "In stock" in html  # Red L: 9 units
    assert "Sold out" in Client().get("/shop/p/polo/?sku=POLO-BLUE-M").content.decode()
    # The chosen variant's price: Blue is dearer.
    assert "900.00" in Client().get("/shop/p/polo/?attr-size=S&attr-colour=Blue").content.decode()
    # htmx asks for the product part only; the answer varies on that header.
    partial = Client().get("/shop/p/polo/?sku=POLO-RED-M", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and 'id="product-main"' in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


@pytest.mark.django_db
def test_without_javascript_the_pickers_values_name_the_variant_added_to_the_cart(polo) -> None:
    client = Client()
    stale = polo[("S", "Red")].pk  # the hidden id of the variant shown when the page was rendered
    response = client.post(
        "/shop/cart/add/",
        {
            "product": "polo",
            "variant": stale,
            "attr-size": "S",
            "attr-colour": "Blue",
            "quantity": 1,
            "next": "/shop/p/polo/",
        },
    )
    assert response.status_code == 302
    assert list(CartLine.objects.values_list("variant__sku", flat=True)) == ["POLO-BLUE-S"]

    refused = client.post(
        "/shop/cart/add/",
        {
            "product": "polo",
            "variant": stale,
            "attr-size": "L",
            "attr-colour": "Blue",
            "quantity": 1,
            "next": "/shop/p/polo/",
        },
        follow=True,
    )
    html = refused.content.decode()
    assert "This combination is not available. Please choose another one." in html
    assert refused.redirect_chain[-1][0] == "/shop/p/polo/?attr-size=L&attr-colour=Blue"
    assert CartLine.objects.count() == 1
