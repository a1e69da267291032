"""Error answers given outside a view: the API's `{"code", "message", "details"}` JSON, or a page.

The API's own errors are shaped by its exception handlers (api/main.py); these are for what happens
before a view runs or outside one (a NUL byte in the request, a body over the limit, an unknown API path,
a database that cannot be reached), so the API answers the same JSON there too and pages a normal page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
SHOP_PREFIX = "/shop/"

# How long a client should wait before retrying while the database cannot be reached.
OUTAGE_RETRY_AFTER_SECONDS = 30


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "details": details or {}}, status=status)


def problem_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """A normal page of the site saying what was wrong with the request."""
    shop = request.path_info.startswith(SHOP_PREFIX)
    context = {
        "title": title,
        "message": message,
        "layout": "storefront/base.html" if shop else "base.html",
        "home_url": reverse("storefront:catalogue" if shop else "backoffice:dashboard"),
    }
    html = render_to_string("errors/problem.html", context, request=request)
    return HttpResponse(html, status=status)


def error_answer(
    request: HttpRequest, status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> HttpResponse:
    if is_api_request(request):
        return api_error(status, code, message, details)
    return problem_page(request, status, _("The request could not be completed"), message)


def validation_error(request: HttpRequest, details: dict[str, str]) -> HttpResponse:
    if is_api_request(request):
        return api_error(422, "validation_error", _("Some fields are not valid."), details)
    return problem_page(
        request, 400, _("The request could not be completed"), _("Some of what was sent is not valid.")
    )


def not_found(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return api_error(404, "not_found", _("Not found."))
    return problem_page(request, 404, _("Page not found"), _("There is no page at this address."))


def payload_too_large(request: HttpRequest, limit: int | None) -> HttpResponse:
    message = _("The request is larger than this server accepts.")
    return error_answer(request, 413, "payload_too_large", message, {"max_bytes": limit} if limit else {})


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database cannot be reached: a temporary state, not a bug. Rendered without the database (no
    context processors, no session, no user), which is what is missing."""
    message = _("The service is temporarily unavailable. Please try again in a moment.")
    response: HttpResponse
    if is_api_request(request):
        response = api_error(503, "service_unavailable", message)
    else:
        html = render_to_string("errors/unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response
