"""`{% delivery_promise order %}`: the order's delivery promise (orders/promise.py) as every page shows
it, in the active language, the time window isolated so right-to-left pages keep it in order."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from orderloop.orders.promise import delivery_promise as promise_of
from orderloop.orders.promise import format_day

register = template.Library()


@register.simple_tag
def delivery_promise(order: Any) -> str:
    promise = promise_of(order)
    if not promise or promise.day is None:
        return ""
    day = format_html('<time datetime="{}">{}</time>', promise.day.isoformat(), format_day(promise.day))
    if not promise.window:
        return format_html('<span class="delivery-promise">{}</span>', day)
    # The hours stay together and left to right, also on right-to-left pages.
    window = format_html('<bdi dir="ltr" style="white-space:nowrap">{}</bdi>', promise.window)
    # Translators: a delivery day and a time window, e.g. "12 December 2026, 10:00–14:00".
    pattern = conditional_escape(gettext("%(day)s, %(window)s"))
    return format_html(
        '<span class="delivery-promise">{}</span>', mark_safe(pattern % {"day": day, "window": window})
    )
