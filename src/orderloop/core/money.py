"""Money: a Decimal amount with an ISO 4217 currency. Never a float.

Formatting is delegated to Babel so every locale gets its own symbols, separators and digit groups;
CLDR's currency spacing, which Babel does not apply, is added on top (`_currency_spacing`).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol, list_currencies
from django.utils import translation

KNOWN_CURRENCIES = frozenset(list_currencies())


class MoneyError(ValueError):
    pass


def parse_amount(value: object) -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value
    if isinstance(value, float):
        # A float has already lost cents; refuse it rather than guess.
        raise MoneyError("amount must be a decimal string, not a float")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"{value!r} is not a decimal amount") from exc
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return amount


def normalize_currency(code: str) -> str:
    normalized = (code or "").strip().upper()
    if normalized not in KNOWN_CURRENCIES:
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code")
    return normalized


@functools.cache
def _quantum(code: str) -> Decimal:
    """The smallest unit of a currency: 0.01 for UAH, 1 for JPY (Babel's data, fixed for the process)."""
    return Decimal(1).scaleb(-get_currency_precision(code))


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        code = normalize_currency(currency)
        return cls(parse_amount(amount).quantize(_quantum(code), rounding=ROUND_HALF_UP), code)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.of(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money.of(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money.of(self.amount * Decimal(factor), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def as_json(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}

    def format(self, language: str | None = None) -> str:
        return format_money(self.amount, self.currency, language)

    def __str__(self) -> str:
        return self.format()


def babel_locale(language: str | None = None) -> Locale:
    code = (language or translation.get_language() or "en").replace("-", "_")
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


NO_BREAK_SPACE = "\u00a0"


def _letter_like(char: str) -> bool:
    """CLDR's `[[:^S:]&[:^Z:]]`: neither a symbol (€, $, ₴) nor a space."""
    return unicodedata.category(char)[0] not in {"S", "Z"}


def _currency_spacing(text: str, symbol: str) -> str:
    """CLDR's currencySpacing rule (the same in every locale's data): where the currency symbol touches a
    digit and its touching character is not itself a symbol, a no-break space goes between them. So an
    English pattern `¤#,##0.00` gives "UAH 3,849.00" (ICU and browsers do the same) but still "€3,849.00"."""
    at = text.find(symbol) if symbol else -1
    if at < 0:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdecimal() and _letter_like(symbol[-1]):
        text = f"{text[:end]}{NO_BREAK_SPACE}{text[end:]}"
    if at > 0 and text[at - 1].isdecimal() and _letter_like(symbol[0]):
        text = f"{text[:at]}{NO_BREAK_SPACE}{text[at:]}"
    return text


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    locale = babel_locale(language)
    return _currency_spacing(
        format_currency(amount, currency, locale=locale), get_currency_symbol(currency, locale=locale)
    )
