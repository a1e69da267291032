"""The pages a 403, 404 or 500 answers with: styled like the part of the site they happen in (the shop
under /shop/, the back office elsewhere) and in the visitor's language, instead of Django's bare ones.
Wired as handler403/404/500 in orderloop/urls.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse

from orderloop.core.roles import ROLE_LABELS


def _template(request: HttpRequest, code: int) -> str:
    shop = request.path.startswith(reverse("storefront:catalogue"))
    return f"storefront/{code}.html" if shop else f"{code}.html"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    roles = (
        [str(ROLE_LABELS.get(name, name)) for name in user.groups.values_list("name", flat=True)]
        if user is not None and user.is_authenticated
        else []
    )
    return render(request, _template(request, 403), {"roles": roles}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (it stayed open across a new session, or cookies are off):
    the same styled 403, saying what to do. Wired as CSRF_FAILURE_VIEW."""
    return render(request, _template(request, 403), {"csrf": True}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, _template(request, 404), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context processors: the database may be what failed.
    return HttpResponseServerError(loader.get_template(_template(request, 500)).render({}))
