"""`{% delivery_promise order %}`: the order's delivery promise (orders/promise.py) as every page shows
it, in the active language, the time window isolated so right-to-left pages keep it in order."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

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
    return format_html(
        '<span class="delivery-promise">{}, <bdi dir="ltr">{}</bdi></span>', day, promise.window
    )
