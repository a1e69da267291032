"""API authentication (bearer tokens) and role checks for ninja handlers."""

from __future__ import annotations

import contextvars
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from . import throttle
from .errors import PermissionDeniedError
from .services import TOKEN_PERMISSIONS, api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


def require_perm(request: HttpRequest, *perms: str) -> None:
    """Refuse (403) unless the authenticated user's role grants every permission named."""
    user = request.user
    missing = [perm for perm in perms if not user.has_perm(perm)]
    if missing:
        raise PermissionDeniedError(details={"required": missing})


_wait: contextvars.ContextVar[int] = contextvars.ContextVar("api_throttle_wait", default=0)


class TokenRateThrottle(BaseThrottle):
    """At most ORDERLOOP["THROTTLES"]["api"] requests per token per window (per address for the
    operations without a token, such as carrier webhooks); past it ninja answers 429 with Retry-After.
    The count is shared by every web process (core/throttle.py)."""

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "api_token", None)
        key = f"token:{token.pk}" if token is not None else f"ip:{throttle.client_ip(request)}"
        wait = throttle.hit("api", key)
        _wait.set(wait)  # one instance serves every thread: the wait belongs to this request's context
        return wait == 0

    def wait(self) -> float | None:
        return _wait.get() or None


class PermissionsBackend(ModelBackend):
    """Django's ModelBackend, except for a user authenticated by an API token: that user's permissions
    were read with the token, in the same statement (`api_token_authenticate`), and are answered from
    there instead of two more queries per request."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        preloaded = getattr(user_obj, TOKEN_PERMISSIONS, None)
        if preloaded is not None and obj is None and user_obj.is_active:
            return set(preloaded)
        return super().get_all_permissions(user_obj, obj)
