"""Cleaning free text from forms, API bodies and files before it is stored."""

from __future__ import annotations


def clean_text(value: str | None, max_length: int) -> str:
    """Drop NUL characters (PostgreSQL refuses them), trim, and cut to the column's length."""
    return (value or "").replace("\x00", "").strip()[:max_length]
