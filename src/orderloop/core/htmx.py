"""The request type of views that read `request.htmx` (django-htmx's middleware sets it on every request):
a type only, so that mypy knows the attribute."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
