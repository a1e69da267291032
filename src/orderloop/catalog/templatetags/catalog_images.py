"""`{{ image|image_src:"cart" }}`: the URL of a product picture in one of `catalog.images.SIZES`."""

from __future__ import annotations

from django import template

from orderloop.catalog.images import image_url
from orderloop.catalog.models import ProductImage

register = template.Library()


@register.filter
def image_src(image: ProductImage | None, size: str) -> str:
    return image_url(image, size) if image is not None else ""
