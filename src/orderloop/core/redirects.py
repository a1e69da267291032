"""Redirects to a `next` parameter stay on this site (no open redirect to `//evil.example`)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """`candidate` (a `next` parameter) when it stays on this site, else `fallback`: `//evil.example`,
    `/\\evil.example`, `https://evil.example` and `javascript:` all give the fallback."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
