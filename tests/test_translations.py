"""Every user-visible string has a translation in every language the shop speaks.

The test extracts the strings from the code exactly as `makemessages` does (into a scratch copy, so the
working tree is untouched), merges the committed catalogues, and fails listing each untranslated one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from tests.conftest import require_system_tool

PACKAGE_DIR = Path(settings.PACKAGE_DIR)
TARGET_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _extract_into(scratch: Path) -> Path:
    copy = scratch / "orderloop"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "migrations")
    )
    locale_dir = copy / "locale"
    previous = Path.cwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[locale_dir]):
            call_command(
                "makemessages",
                locale=TARGET_LANGUAGES,
                no_obsolete=True,
                no_location=True,
                verbosity=0,
            )
    finally:
        os.chdir(previous)
    return locale_dir


def test_every_string_is_translated_in_every_language(tmp_path: Path) -> None:
    require_system_tool("xgettext", "string extraction for the translation check")
    locale_dir = _extract_into(tmp_path)
    missing: list[str] = []
    for language in TARGET_LANGUAGES:
        catalogue = polib.pofile(str(locale_dir / language / "LC_MESSAGES" / "django.po"))
        assert len(catalogue) > 50, f"{language}: suspiciously few strings extracted"
        for entry in catalogue:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags or not entry.translated():
                missing.append(f"{language}: {entry.msgid!r}")
    assert not missing, f"{len(missing)} untranslated string(s):\n" + "\n".join(missing[:80])


@pytest.mark.parametrize(
    ("language", "english"),
    [("uk", "Products"), ("ru", "Products"), ("sv", "Products"), ("ar", "Products")],
)
def test_compiled_catalogues_are_used(language: str, english: str) -> None:
    call_command("compile_translations", verbosity=0)
    with translation.override(language):
        assert translation.gettext(english) != english


def test_arabic_is_right_to_left_and_others_are_not() -> None:
    assert translation.get_language_info("ar")["bidi"] is True
    assert not any(translation.get_language_info(code)["bidi"] for code in ("en", "uk", "ru", "sv"))
