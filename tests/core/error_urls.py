"""The project's URLs plus one view that fails, to see the 500 page (handler500 is read from the root
URLconf, so this module names the project's handlers too)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from orderloop.urls import handler403, handler404, handler500
from orderloop.urls import urlpatterns as project_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault in the code")


urlpatterns: list[URLPattern | URLResolver] = [
    path("boom/", fail),
    path("shop/boom/", fail),
    *project_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
