"""Cleaning free text from forms, API bodies and files before it is stored."""

from __future__ import annotations

from django.utils.translation import ngettext


def clean_text(value: str | None, max_length: int) -> str:
    """Drop NUL characters (PostgreSQL refuses them), trim, and cut to the column's length."""
    return (value or "").replace("\x00", "").strip()[:max_length]


def at_most_characters(limit: int) -> str:
    """The error for a text longer than `limit`, with the plural form the language uses for that number."""
    return ngettext("At most %(n)s character.", "At most %(n)s characters.", limit) % {"n": limit}
