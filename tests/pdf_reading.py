"""Reading a rendered PDF back as a person does (pdfplumber: every character with its position), for the
documents' language tests: lines top to bottom, an Arabic line right to left with its joined letters
turned back into plain ones. Set PDF_DUMP_DIR to keep the rendered files for a look."""

from __future__ import annotations

import os
import re
import unicodedata
from io import BytesIO
from pathlib import Path
from typing import Any

import pdfplumber

ARABIC_LETTERS = re.compile("[\u0621-\u064a]")  # letters as typed, before shaping
PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")  # letters joined for display


def plain(text: str) -> str:
    """Without Arabic vowel marks (the documents leave them out) and in normal form."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not unicodedata.combining(c))


def chars_of(pdf: bytes) -> list[dict[str, Any]]:
    with pdfplumber.open(BytesIO(pdf)) as document:
        return [dict(char, page=number) for number, page in enumerate(document.pages) for char in page.chars]


def lines_of(pdf: bytes, *, reading: bool = True) -> list[str]:
    """Each printed line in reading order: characters on the same baseline (within 1.5 pt), left to right,
    or right to left when the line holds Arabic (`reading=False`: always left to right, as drawn — where
    codes and numbers inside an Arabic line read right)."""
    rows: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for char in chars_of(pdf):
        # The baseline (the text matrix's y, from the page's foot): one line whatever the font size.
        key = (char["page"], -round(char["matrix"][5] / 1.5))
        rows.setdefault(key, []).append(char)
    lines = []
    for _key, chars in sorted(rows.items()):
        rtl = reading and any(
            PRESENTATION_FORMS.search(c["text"]) or ARABIC_LETTERS.search(c["text"]) for c in chars
        )
        ordered = sorted(chars, key=lambda c: c["x0"], reverse=rtl)
        lines.append(plain("".join(c["text"] for c in ordered)))
    return lines


def assert_shaped_arabic(pdf: bytes, *phrases: str, name: str = "document") -> None:
    """The Arabic text is drawn joined (presentation forms, no loose letters) and each phrase reads right
    to left on one line."""
    dump(pdf, f"{name}-ar.pdf")
    text = "".join(c["text"] for c in chars_of(pdf))
    assert PRESENTATION_FORMS.search(text), "no joined Arabic letters in the PDF"
    loose = sorted(set(ARABIC_LETTERS.findall(text)))
    assert not loose, f"Arabic letters drawn unjoined: {loose}"
    lines = lines_of(pdf)
    for phrase in phrases:
        assert any(plain(phrase) in line for line in lines), (
            f"{phrase!r} does not read right to left: {lines}"
        )


def dump(pdf: bytes, name: str) -> None:
    directory = os.environ.get("PDF_DUMP_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / name).write_bytes(pdf)
