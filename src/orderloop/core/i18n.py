"""Helpers for content that carries its own translations (product and category names)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def pick_translation(
    default: str, translations: Mapping[str, str] | None, language: str | None = None
) -> str:
    """The text in the active (or given) language, falling back to the default text."""
    if not translations:
        return default
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return translations.get(code) or default


def clean_translations(raw: Mapping[str, str] | None) -> dict[str, str]:
    """Keep only known languages and non-empty texts."""
    return {
        code: text.strip() for code, text in (raw or {}).items() if code in LANGUAGE_CODES and text.strip()
    }
