from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def widget(field: BoundField, required: bool = False) -> SafeString:
    """Render a field's input with `required` as the country/delivery rule says, and aria-invalid and
    aria-describedby when it has errors (the message sits next to the field)."""
    attrs: dict[str, str | bool] = {}
    if required:
        attrs["required"] = True
        attrs["aria-required"] = "true"
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}-error"
    return field.as_widget(attrs=attrs)
