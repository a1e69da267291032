from __future__ import annotations

from typing import Any

from django import template

from orderloop.backoffice.menu import menu_for

register = template.Library()


@register.inclusion_tag("backoffice/_main_menu.html", takes_context=True)
def main_menu(context: Any) -> dict[str, Any]:
    """`{% main_menu %}`: the grouped menu for the signed-in user (backoffice/menu.py)."""
    request = context["request"]
    return {"menu": menu_for(request.user, request.path)}
