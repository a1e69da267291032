"""The delivery promise: the one day (and the customer's time window) every place shows — the order
card, the parcel label, the courier's route, the customer's follow-the-order page and emails — and the
day our courier's route takes the parcel. Pure rules on the order's fields, no ORM.

The day is the customer's preferred day when they chose one that we can keep (not before the date
promised at placement); otherwise the promised date. The window is the customer's preferred hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from babel.dates import format_date
from django.utils import translation
from django.utils.translation import gettext

from orderloop.core.money import babel_locale


@dataclass(frozen=True)
class DeliveryPromise:
    day: date | None
    time_from: time | None = None
    time_to: time | None = None
    # The day is the one the customer asked for (a phone order's preferred day, say).
    chosen_by_customer: bool = False

    def __bool__(self) -> bool:
        return self.day is not None

    @property
    def window(self) -> str:
        """ "10:00–14:00", "10:00–…", "…–14:00", or "" without a window."""
        if self.time_from is None and self.time_to is None:
            return ""
        return "–".join(t.strftime("%H:%M") if t is not None else "…" for t in (self.time_from, self.time_to))


def delivery_promise(order: Any) -> DeliveryPromise:
    """The promise of an order (anything with promised_date, preferred_date and the preferred window)."""
    promised: date | None = order.promised_date
    preferred: date | None = order.preferred_date
    chosen = preferred is not None and (promised is None or preferred >= promised)
    return DeliveryPromise(
        day=preferred if chosen else promised,
        time_from=order.preferred_time_from,
        time_to=order.preferred_time_to,
        chosen_by_customer=chosen,
    )


def format_day(day: date, language: str | None = None) -> str:
    """The day written out in the language ("12 грудня 2026 р.", "December 12, 2026")."""
    return format_date(day, format="long", locale=babel_locale(language))


def promise_text(promise: DeliveryPromise, language: str | None = None) -> str:
    """The promise as one line of text ("12 December 2026, 10:00–14:00"); "" when nothing is promised.
    Every place prints this same text (HTML isolates the window for right-to-left pages)."""
    if not promise:
        return ""
    assert promise.day is not None
    day = format_day(promise.day, language)
    if not promise.window:
        return day
    with translation.override(language or translation.get_language()):
        return day_and_window(day, promise.window)


def day_and_window(day: str, window: str) -> str:
    """The day and the hours in the active language's words ("12 December 2026, 10:00–14:00"; Arabic
    joins them with its own comma)."""
    # Translators: a delivery day and a time window, e.g. "12 December 2026, 10:00–14:00".
    return gettext("%(day)s, %(window)s") % {"day": day, "window": window}


def route_day(order: Any, today: date) -> date:
    """The day our courier's route takes a parcel handed over `today`: the customer's chosen day when it
    is later, else today."""
    promise = delivery_promise(order)
    if promise.chosen_by_customer and promise.day is not None and promise.day > today:
        return promise.day
    return today
