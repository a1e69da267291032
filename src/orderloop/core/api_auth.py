"""API authentication (bearer tokens) and role checks for ninja handlers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.http import HttpRequest
from ninja.security import HttpBearer

from .errors import PermissionDeniedError
from .services import api_token_authenticate


def _load_permissions(user: Any) -> None:
    """The user's permissions (own and through its role's group) with one query instead of the two
    ModelBackend makes, cached on the user object the way ModelBackend caches them (`_perm_cache`) for
    the rest of this request."""
    if not user.is_active or user.is_superuser or hasattr(user, "_perm_cache"):
        return
    fields = ("content_type__app_label", "codename")
    rows = (
        Permission.objects.filter(user=user)
        .order_by()
        .values_list(*fields)
        .union(Permission.objects.filter(group__user=user).order_by().values_list(*fields))
    )
    user._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        _load_permissions(api_token.user)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


def require_perm(request: HttpRequest, *perms: str) -> None:
    """Refuse (403) unless the authenticated user's role grants every permission named."""
    user = request.user
    missing = [perm for perm in perms if not user.has_perm(perm)]
    if missing:
        raise PermissionDeniedError(details={"required": missing})
