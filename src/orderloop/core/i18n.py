"""Helpers for content that carries its own translations (product and category names, delivery and
payment methods, carriers and their services)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from orderloop.core.errors import InvalidInput
from orderloop.core.text import at_most_characters, clean_text

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


def names_validated(name: object, translations: object, *, max_length: int) -> tuple[str, dict[str, str]]:
    """The default (English) name and its translations, cleaned for storing, or InvalidInput naming each
    bad field (`name`, `name_translations.<code>`). Empty translations are dropped: the English name
    shows in that language."""
    errors: dict[str, str] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = str(_("Enter the name."))
    elif len(name.strip()) > max_length:
        errors["name"] = at_most_characters(max_length)
    cleaned: dict[str, str] = {}
    if translations is not None and not isinstance(translations, Mapping):
        errors["name_translations"] = str(_('Send an object such as {"uk": "..."}.'))
        translations = {}
    for code, text in (translations or {}).items():  # type: ignore[union-attr]
        key = f"name_translations.{code}"
        if code not in LANGUAGE_CODES:
            errors[key] = str(
                _("Unknown language; use one of %(codes)s.") % {"codes": ", ".join(LANGUAGE_CODES)}
            )
        elif text is not None and not isinstance(text, str):
            errors[key] = str(_("Enter text."))
        elif text and len(text.strip()) > max_length:
            errors[key] = at_most_characters(max_length)
        elif text and text.strip():
            cleaned[code] = clean_text(text, max_length)
    if errors:
        raise InvalidInput(details=errors)
    return clean_text(str(name), max_length), cleaned
