"""Money: Decimal amounts rounded to the currency's precision, never floats, formatted per locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from orderloop.core.money import Money, MoneyError, format_money, normalize_currency, parse_amount


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.005", "UAH", "10.01"),  # half up, not banker's rounding
        ("10.004", "UAH", "10.00"),
        ("129.9", "UAH", "129.90"),
        ("-2.345", "EUR", "-2.35"),
        ("100.5", "JPY", "101"),  # no minor unit
        ("1.2345", "KWD", "1.235"),  # three decimals
        (Decimal("7"), "SEK", "7.00"),
        (3, "UAH", "3.00"),
        (" 42.10 ", "uah", "42.10"),
    ],
)
def test_amounts_are_rounded_to_the_currency_precision(amount: object, currency: str, expected: str) -> None:
    money = Money.of(amount, currency)
    assert money.amount == Decimal(expected)
    assert str(money.amount) == expected
    assert money.currency == currency.strip().upper()


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="float"):
        Money.of(0.1, "UAH")
    with pytest.raises(MoneyError):
        parse_amount(19.99)


@pytest.mark.parametrize("value", ["", "abc", "1,50", "NaN", "Infinity", "-inf", None, "1e"])
def test_what_is_not_a_finite_decimal_is_refused(value: object) -> None:
    with pytest.raises(MoneyError):
        parse_amount(value)


@pytest.mark.parametrize("code", ["", "XYZ", "US", "euro", "UAHH"])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(MoneyError):
        normalize_currency(code)


def test_arithmetic_keeps_the_currency_and_refuses_to_mix() -> None:
    a = Money.of("100.10", "UAH")
    assert a + Money.of("0.95", "UAH") == Money.of("101.05", "UAH")
    assert a - Money.of("0.10", "UAH") == Money.of("100", "UAH")
    assert a * 3 == Money.of("300.30", "UAH")
    assert Money.of("0.10", "UAH") * Decimal("0.5") == Money.of("0.05", "UAH")
    with pytest.raises(MoneyError, match="UAH and EUR"):
        _ = a + Money.of("1", "EUR")
    with pytest.raises(MoneyError):
        _ = a - Money.of("1", "SEK")


def test_json_carries_the_amount_as_a_string() -> None:
    assert Money.of("129.9", "UAH").as_json() == {"amount": "129.90", "currency": "UAH"}


def _plain(text: str) -> str:
    """Spaces of every width to one ASCII space, direction marks dropped."""
    for char in ("\u00a0", "\u202f"):
        text = text.replace(char, " ")
    return text.replace("\u200f", "").replace("\u200e", "")


def test_formatting_follows_the_locale() -> None:
    amount = Decimal("1234.50")
    english = format_money(amount, "UAH", "en")
    ukrainian = format_money(amount, "UAH", "uk")
    arabic = format_money(amount, "UAH", "ar")
    swedish = format_money(amount, "EUR", "sv")
    assert len({english, ukrainian, arabic}) == 3
    assert "1,234.50" in english
    assert _plain(ukrainian) == "1 234,50 ₴"
    # CLDR's Arabic uses Latin digits by default; the text is marked right-to-left.
    assert _plain(arabic).startswith("1,234.50") and arabic.startswith("\u200f")
    assert _plain(swedish) == "1 234,50 €"


def test_formatting_uses_the_active_language_by_default() -> None:
    money = Money.of("1234.5", "UAH")
    with translation.override("uk"):
        assert str(money) == format_money(money.amount, "UAH", "uk")
    with translation.override("en"):
        assert money.format() == format_money(money.amount, "UAH", "en")
    assert money.format("xx-unknown") == format_money(money.amount, "UAH", "en")


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        # CLDR's currency spacing: a code made of letters is kept apart from the digits...
        ("en", "UAH", "UAH\u00a03,849.00"),
        ("en", "SEK", "SEK\u00a03,849.00"),
        # ...a symbol is not.
        ("en", "EUR", "€3,849.00"),
        ("en", "USD", "$3,849.00"),
        # The other languages' patterns already put the currency after the number, spaced.
        ("uk", "UAH", "3\u00a0849,00\u00a0₴"),
        ("ru", "UAH", "3\u00a0849,00\u00a0₴"),
        ("sv", "SEK", "3\u00a0849,00\u00a0kr"),
        ("sv", "UAH", "3\u00a0849,00\u00a0UAH"),
        ("ar", "UAH", "\u200f3,849.00\u00a0UAH"),
    ],
)
def test_the_currency_code_is_spaced_from_the_amount_in_every_language(
    language: str, currency: str, expected: str
) -> None:
    assert format_money(Decimal("3849.00"), currency, language) == expected


def test_a_negative_english_amount_keeps_its_sign_before_the_code() -> None:
    assert format_money(Decimal("-300"), "UAH", "en") == "-UAH\u00a0300.00"
