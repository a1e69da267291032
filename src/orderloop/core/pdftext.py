"""Text for reportlab canvases in every interface language.

reportlab draws a string's characters left to right as they come, which is right for Latin and Cyrillic
but not for Arabic: its letters must be joined (each in its initial, medial, final or isolated form) and a
line read right to left, with numbers and Latin words inside it still left to right. `visual()` does both
with the well-kept libraries made for it — arabic-reshaper joins the letters (Arabic Presentation Forms,
which DejaVu Sans has), python-bidi puts the runs in display order (the Unicode bidirectional
algorithm) — so the canvas can draw the result as it is. Vowel marks (harakat) are left out, as
arabic-reshaper does by default: without a shaping engine reportlab cannot place them over the letters. `Writer` is a canvas with a cursor that mirrors
its layout for a right-to-left document: what starts at the left margin in English starts at the right
margin in Arabic.
"""

from __future__ import annotations

import re
import unicodedata

from arabic_reshaper import reshape

# The Python implementation (python-bidi keeps it as bidi.algorithm) mirrors brackets in right-to-left
# runs, "(" shown as ")", which the Rust one behind `bidi.get_display` leaves to the renderer.
from bidi.algorithm import get_display
from django.utils import translation
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

CODE_FONT = "Courier"
_RTL_CHARACTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def is_rtl(language: str | None) -> bool:
    return translation.get_language_info((language or "en").split("-")[0]).get("bidi", False) is True


def has_rtl(text: str) -> bool:
    return bool(_RTL_CHARACTERS.search(text))


def visual(text: str, *, rtl: bool, own: bool = False) -> str:
    """`text` (in reading order) as the characters to draw left to right: Arabic letters joined, runs in
    display order for a line whose base direction is right to left (`rtl`) or left to right. `own`: the
    text has its own direction, from its first letter (an address, a name: "01001 Kyiv" stays in that
    order in an Arabic document)."""
    if not has_rtl(text) and (not rtl or own):
        return text
    return str(get_display(reshape(text), base_dir=None if own else ("R" if rtl else "L")))


def logical(drawn: str) -> str:
    """The reading order of text drawn right to left by `visual` (for tests and text extraction):
    the presentation forms turned back into letters."""
    return unicodedata.normalize("NFKC", drawn)


def width(text: str, font: str, size: float, *, rtl: bool = False) -> float:
    """The width in points of `text` as drawn (joined Arabic letters are narrower than loose ones)."""
    return float(pdfmetrics.stringWidth(visual(text, rtl=rtl), font, size))


def fit(text: str, font: str, size: float, room: float, *, rtl: bool = False) -> str:
    """`text` cut (with an ellipsis at its end in reading order) until it fits `room` points."""
    while text and width(text, font, size, rtl=rtl) > room:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def wrap(text: str, font: str, size: float, room: float, *, rtl: bool = False) -> list[str]:
    """`text` split at spaces into lines that fit `room` points; a word longer than a line is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size, rtl=rtl) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word if width(word, font, size, rtl=rtl) <= room else fit(word, font, size, room, rtl=rtl)
    if current:
        lines.append(current)
    return lines or [""]


class Writer:
    """A canvas with a cursor between two margins: lines go top to bottom, a new page (with a running
    header) when the bottom is reached. x positions are measured from the start margin: the left one
    in a left-to-right document, the right one in a right-to-left document, so one layout serves both."""

    def __init__(
        self,
        canvas: Canvas,
        *,
        regular: str,
        bold: str,
        rtl: bool,
        left: float,
        right: float,
        top: float,
        bottom: float,
        header: str = "",
    ) -> None:
        self.canvas, self.regular, self.bold, self.rtl = canvas, regular, bold, rtl
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.header = header
        self.y = top

    @property
    def line_width(self) -> float:
        return self.right - self.left

    def font(self, *, bold: bool = False, code: bool = False) -> str:
        return CODE_FONT if code else (self.bold if bold else self.regular)

    def _x(self, offset: float) -> float:
        """The page x of a position `offset` points from the start margin."""
        return self.right - offset if self.rtl else self.left + offset

    def need(self, height: float) -> bool:
        """Start a new page unless `height` points are left above the bottom margin; True when it did."""
        if self.y - height >= self.bottom:
            return False
        self.canvas.showPage()
        self.y = self.top
        if self.header:
            self.text(self.header, size=8)
            self.down(12)
        return True

    def text(
        self,
        value: str,
        *,
        at: float = 0,
        size: float = 10,
        bold: bool = False,
        code: bool = False,
        own: bool = False,
        room: float | None = None,
    ) -> None:
        """Write `value` starting `at` points from the start margin, cut to `room` points. `own`: text
        of its own direction (addresses, names); codes are drawn as they are."""
        font = self.font(bold=bold, code=code)
        room = self.line_width - at if room is None else room
        drawn = fit(str(value), font, size, room, rtl=self.rtl and not code)
        shown = drawn if code else visual(drawn, rtl=self.rtl, own=own)
        self.canvas.setFont(font, size)
        if self.rtl:
            self.canvas.drawRightString(self._x(at), self.y, shown)
        else:
            self.canvas.drawString(self._x(at), self.y, shown)

    def end(
        self,
        value: str,
        *,
        at: float | None = None,
        size: float = 10,
        bold: bool = False,
        code: bool = False,
        room: float | None = None,
    ) -> None:
        """Write `value` so that it ends `at` points from the start margin (default: the end margin):
        numbers in a column, the document's number opposite its title; cut to `room` points if given."""
        font = self.font(bold=bold, code=code)
        at = self.line_width if at is None else at
        value = str(value) if room is None else fit(str(value), font, size, room, rtl=self.rtl and not code)
        shown = value if code else visual(value, rtl=self.rtl)
        self.canvas.setFont(font, size)
        if self.rtl:
            self.canvas.drawString(self._x(at), self.y, shown)
        else:
            self.canvas.drawRightString(self._x(at), self.y, shown)

    def lines(self, value: str, *, room: float, size: float = 10, bold: bool = False) -> list[str]:
        """`value` wrapped to `room` points in this document's font."""
        return wrap(str(value), self.font(bold=bold), size, room, rtl=self.rtl)

    def paragraph(
        self,
        value: str | list[str],
        *,
        at: float = 0,
        room: float | None = None,
        size: float = 10,
        bold: bool = False,
        leading: float | None = None,
    ) -> int:
        """Write `value` (or lines wrapped already) to `room` points, one under the other; the number
        of lines. The cursor stays on the last line."""
        room = self.line_width - at if room is None else room
        lines = value if isinstance(value, list) else self.lines(value, room=room, size=size, bold=bold)
        leading = leading or size * 1.25
        for index, line in enumerate(lines):
            if index:
                self.down(leading)
            self.text(line, at=at, size=size, bold=bold, room=room)
        return len(lines)

    def down(self, amount: float) -> None:
        self.y -= amount

    def rule(self) -> None:
        """A line across the page at the cursor."""
        self.canvas.line(self.left, self.y, self.right, self.y)

    def table_titles(self, titles: list[tuple[str, float, bool]], *, size: float = 9) -> None:
        """A row of bold column titles — (title, position, ends there) — with the rule under them (clear
        of their descenders), the cursor on the first row's baseline."""
        for title, at, at_end in titles:
            if at_end:
                self.end(title, at=at, size=size, bold=True)
            else:
                self.text(title, at=at, size=size, bold=True)
        self.down(2 * mm)
        self.rule()
        self.down(5 * mm)

    def side_by_side(
        self, first: tuple[str, list[str]], second: tuple[str, list[str]], *, at: float, size: float = 10
    ) -> None:
        """Two blocks — a bold title, then lines of their own direction (names, addresses) — the second
        starting `at` points from the start margin; the cursor ends on the last line of the longer one."""
        top = self.y
        bottoms = []
        for start, (title, lines) in ((0.0, first), (at, second)):
            self.y = top
            room = at - 4 * mm if start == 0 else self.line_width - at
            self.text(title, at=start, size=size, bold=True, room=room)
            for line in [str(line) for line in lines if line]:
                self.down(size * 0.5 * mm)
                self.text(line, at=start, size=size, own=True, room=room)
            bottoms.append(self.y)
        self.y = min(bottoms)

    def end_columns(
        self, columns: list[tuple[str, list[str]]], *, size: float = 10, title_size: float = 9, gap: float = 0
    ) -> tuple[list[float], float]:
        """Columns of numbers at the end of a table, each as wide as its (bold) title or widest value
        (measured bold, so a bold total fits too): where each column ends (from the start margin), and
        the room left before the first of them."""
        bold = self.font(bold=True)
        ends: list[float] = []
        end = self.line_width
        for title, values in reversed(columns):
            ends.insert(0, end)
            needed = max(
                [width(title, bold, title_size, rtl=self.rtl)]
                + [width(value, bold, size, rtl=self.rtl) for value in values]
            )
            end -= needed + gap
        return ends, end
