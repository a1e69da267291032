"""`{% load notifications_tags %}{% unread_badge %}`: the top bar's link to the notifications with the
unread count (then kept fresh by htmx, see notifications/_unread_count.html)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_unread_count.html", takes_context=True)
def unread_badge(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"unread_count": unread_count(user=user) if user is not None else 0}
