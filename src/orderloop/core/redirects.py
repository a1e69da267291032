"""Redirects to a `next` parameter stay on this site (no open redirect to `//evil.example`); old paths
answer with a permanent redirect to where their pages moved."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import get_script_prefix
from django.utils.encoding import escape_uri_path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt


def safe_next(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """`candidate` (a `next` parameter) when it stays on this site, else `fallback`: `//evil.example`,
    `/\\evil.example`, `https://evil.example` and `javascript:` all give the fallback."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def moved_permanently(old_prefix: str, new_prefix: str) -> Callable[[HttpRequest], HttpResponse]:
    """A view for the paths under `old_prefix` (e.g. "fulfilment/", without the leading slash) that now live
    under `new_prefix`: the same rest of the path and query string, 301 for GET and HEAD, 308 (the same
    method and body again) for a form post or an API call. Exempt from CSRF: it changes nothing, and the
    view it points to checks the token."""

    @csrf_exempt
    def moved(request: HttpRequest) -> HttpResponse:
        rest = request.path_info.removeprefix("/" + old_prefix)
        url = get_script_prefix() + new_prefix + escape_uri_path(rest)
        query = request.META.get("QUERY_STRING", "")
        if query:
            url += "?" + query
        response = HttpResponsePermanentRedirect(url)
        if request.method not in ("GET", "HEAD"):
            response.status_code = 308
        return response

    return moved
