"""API authentication (bearer tokens) and role checks for ninja handlers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from .errors import PermissionDeniedError
from .services import api_token_authenticate


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
