"""Formatting for templates in the active language: money (Babel), dates (Babel), phone numbers."""

from __future__ import annotations

from datetime import date

import phonenumbers
from babel.dates import format_date
from django import template

from orderloop.core.money import Money, babel_locale

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    """`{{ order.total|money }}` → "1 299,00 ₴" in Ukrainian, "1,299.00 UAH" in English."""
    return value.format() if isinstance(value, Money) else ""


@register.filter
def longdate(value: date | None) -> str:
    """`{{ order.promised_date|longdate }}` → "4 грудня 2026 р." / "4 december 2026"."""
    if not isinstance(value, date):
        return ""
    return format_date(value, format="long", locale=babel_locale())


@register.filter
def phone(value: str | None) -> str:
    """E.164 for display: "+380501234567" → "+380 50 123 4567"."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
