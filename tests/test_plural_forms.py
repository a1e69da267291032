"""Counts are said with the language's plural forms ("1 parcel", "2 parcels"; Ukrainian and Russian have
four forms in Django's catalogues, Arabic six), never as "1 parcels"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

PACKAGE_DIR = Path(settings.PACKAGE_DIR)

# English nouns that follow a count in the interface's sentences.
NOUNS = (
    r"(?:parcels?|orders?|items?|units?|lines?|products?|variants?|rows?|box(?:es)?|totes?|days?|hours?"
    r"|minutes?|shipments?|returns?|waves?|scans?|photos?|warehouses?|SKUs?|emails?|pieces?|characters?"
    r"|labels?|lists?|files?|points?|customers?|coupons?|times?|weeks?|months?|seconds?|mis-picks?"
    r"|refunds?|payments?|invoices?|events?|notes?|attempts?|tokens?|suppliers?|messages?|errors?)"
)
PLACEHOLDER_THEN_NOUN = re.compile(r"%\(\w+\)[sd]\s+(?:more\s+|of\s+)?" + NOUNS + r"\b", re.IGNORECASE)
GETTEXT_CALL = re.compile(
    r"\b(?:_|gettext|gettext_lazy|pgettext|pgettext_lazy)\(\s*((?:\"[^\"]*\"\s*|'[^']*'\s*)+)", re.S
)
BLOCK = re.compile(r"{%\s*blocktranslate([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", re.S)
VARIABLE_THEN_NOUN = re.compile(r"\{\{\s*\w+\s*\}\}\s+(?:more\s+)?" + NOUNS + r"\b", re.IGNORECASE)


def _literal(source: str) -> str:
    return "".join(a or b for a, b in re.findall(r"\"([^\"]*)\"|'([^']*)'", source))


def count_without_plural_forms() -> list[str]:
    """Every translatable sentence that puts a number before a noun without plural forms: a gettext
    call (ngettext is the right one) or a {% blocktranslate %} without `count`."""
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix not in {".py", ".html", ".txt"} or {"migrations", "locale"} & set(path.parts):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        where = path.relative_to(PACKAGE_DIR)
        if path.suffix == ".py":
            for match in GETTEXT_CALL.finditer(text):
                message = _literal(match.group(1))
                if PLACEHOLDER_THEN_NOUN.search(message):
                    found.append(f"{where}: {message}")
        else:
            for match in BLOCK.finditer(text):
                if "count" not in match.group(1) and VARIABLE_THEN_NOUN.search(match.group(2)):
                    found.append(f"{where}: {match.group(2).strip()}")
    return found


def test_no_count_is_said_without_plural_forms() -> None:
    assert count_without_plural_forms() == []


@pytest.fixture(autouse=True)
def compiled() -> None:
    call_command("compile_translations", verbosity=0)


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("en", {1: "1 parcel, 2.00 kg", 2: "2 parcels, 2.00 kg", 5: "5 parcels, 2.00 kg"}),
        (
            "uk",
            {
                1: "1 посилка, 2.00 кг",
                3: "3 посилки, 2.00 кг",
                5: "5 посилок, 2.00 кг",
                11: "11 посилок, 2.00 кг",
                21: "21 посилка, 2.00 кг",
                22: "22 посилки, 2.00 кг",
            },
        ),
        ("ru", {1: "1 посылка, 2.00 кг", 4: "4 посылки, 2.00 кг", 12: "12 посылок, 2.00 кг"}),
        ("sv", {1: "1 paket, 2.00 kg", 2: "2 paket, 2.00 kg"}),
        (
            "ar",
            {
                0: "0 طرد، 2.00 كغ",
                2: "2 طردان، 2.00 كغ",
                3: "3 طرود، 2.00 كغ",
                11: "11 طردًا، 2.00 كغ",
                100: "100 طرد، 2.00 كغ",
            },
        ),
    ],
)
def test_the_manifest_total_uses_each_languages_plural_forms(language: str, forms: dict[int, str]) -> None:
    with translation.override(language):
        for n, expected in forms.items():
            said = translation.ngettext("%(n)s parcel, %(kg)s kg", "%(n)s parcels, %(kg)s kg", n) % {
                "n": n,
                "kg": "2.00",
            }
            assert said == expected


def test_every_plural_message_has_all_the_forms_of_its_language() -> None:
    import polib

    expected = {"uk": 4, "ru": 4, "sv": 2, "ar": 6}
    for language, count in expected.items():
        catalogue = polib.pofile(str(PACKAGE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"))
        for entry in catalogue:
            if entry.msgid_plural and not entry.obsolete:
                assert sorted(entry.msgstr_plural) == list(range(count)), (language, entry.msgid)
                assert all(entry.msgstr_plural.values()), (language, entry.msgid)
