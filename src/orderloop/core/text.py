"""Cleaning free text from forms, API bodies and files before it is stored."""

from __future__ import annotations

from django.utils.translation import ngettext


def clean_text(value: str | None, max_length: int) -> str:
    """Drop NUL characters (PostgreSQL refuses them), trim, and cut to the column's length."""
    return (value or "").replace("\x00", "").strip()[:max_length]


# A spreadsheet reads a cell starting with one of these as a formula (and tab / carriage return as
# whitespace before one): `=HYPERLINK(...)` in a product name would run when the export is opened.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A CSV export cell that spreadsheets show as text: a leading `'` before a formula trigger (the
    OWASP advice against CSV injection). Every CSV export writes its cells through this."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def from_spreadsheet_safe(text: str) -> str:
    """The cell as it was before `spreadsheet_safe` (a re-imported export gets its own text back)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def at_most_characters(limit: int) -> str:
    """The error for a text longer than `limit`, with the plural form the language uses for that number."""
    return ngettext("At most %(n)s character.", "At most %(n)s characters.", limit) % {"n": limit}
