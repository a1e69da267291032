"""Formatting for templates in the active language: money (Babel), dates (Babel), phone numbers, and
isolating text of its own direction (addresses, names, codes) from the page around it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import phonenumbers
from babel.dates import format_date
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from orderloop.core.money import Money, babel_locale
from orderloop.core.reasons import reason_text as _reason_text

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


@register.filter
def isolate(value: Any) -> SafeString | str:
    """`{{ order.ship_city|isolate }}` → `<bdi>…</bdi>`: text typed by people or systems (addresses,
    names, phone numbers, SKUs, order numbers, emails) keeps its own direction inside the page's, so
    "01001 Kyiv" stays "01001 Kyiv" on an Arabic page and an Arabic name stays whole on an English one."""
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """`{{ row.name_translations|get_item:code }}`: a dictionary's value (empty when missing)."""
    return (mapping or {}).get(key, "")


@register.filter
def reason_text(value: str | None) -> str:
    """`{{ event.reason|reason_text }}`: a stored reason code ("all_parcels_packed", "wave W1") in words
    of the active language; a reason someone typed stays as typed (core/reasons.py)."""
    return _reason_text(value or "")
