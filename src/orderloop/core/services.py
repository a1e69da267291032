"""Writes of the core area: roles and API tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from . import history, rawsql, roles
from .errors import InvalidInput, NotFound
from .models import ApiToken

TOKEN_PREFIX = "olt"
_PREFIX_RE = re.compile(r"[0-9a-f]{12}")


def roles_sync() -> dict[str, int]:
    """Create the role groups and give each exactly the permissions its role lists."""
    counts: dict[str, int] = {}
    # The audit trail names the command (the request's user when run from a page).
    with transaction.atomic(), history.acting(None, "setup_roles"):
        for role, wanted in roles.ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role)
            if wanted == roles.ALL:
                perms = list(Permission.objects.all())
            else:
                perms = []
                for dotted in wanted:
                    app_label, codename = dotted.split(".", 1)
                    perm = Permission.objects.filter(
                        content_type__app_label=app_label, codename=codename
                    ).first()
                    if perm is None:
                        raise LookupError(f"role {role}: unknown permission {dotted}")
                    perms.append(perm)
            group.permissions.set(perms)
            counts[role] = len(perms)
    return counts


def user_assign_role(*, user: User, role: str) -> None:
    canonical = roles.normalize_role(role)
    if canonical is None:
        raise InvalidInput(details={"role": f"unknown role {role!r}; choose one of {roles.role_names()}"})
    group, _ = Group.objects.get_or_create(name=canonical)
    user.groups.add(group)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def api_token_create(*, user: User, name: str = "") -> IssuedToken:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    clean_name = name.replace("\x00", "").strip()[:100]  # PostgreSQL refuses NUL characters
    token = ApiToken.objects.create(user=user, name=clean_name, prefix=prefix, key_hash=_hash(secret))
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@functools.cache
def _token_sql(vendor: str) -> str:
    """The live token with this prefix, its user, and the user's permissions (own and through its
    groups) as one comma-joined column: one statement per API request instead of the ORM's two."""
    user_model = get_user_model()
    token, user = rawsql.table(ApiToken), rawsql.table(user_model)
    perm, content_type = rawsql.table(Permission), rawsql.table(ContentType)
    user_perms = rawsql.table(User.user_permissions.through)
    group_perms = rawsql.table(Group.permissions.through)
    user_groups = rawsql.table(User.groups.through)
    q = rawsql.q
    label = f"ct.{q('app_label')} || '.' || p.{q('codename')}"
    return (
        f"SELECT {rawsql.select_list(ApiToken, 't')}, {rawsql.select_list(user_model, 'u')}, "
        f"(SELECT {rawsql.string_agg(label)} FROM {perm} p "
        f"JOIN {content_type} ct ON ct.{q('id')} = p.{q('content_type_id')} "
        f"WHERE p.{q('id')} IN (SELECT {q('permission_id')} FROM {user_perms} WHERE {q('user_id')} = u.{q('id')} "
        f"UNION SELECT gp.{q('permission_id')} FROM {group_perms} gp "
        f"JOIN {user_groups} ug ON ug.{q('group_id')} = gp.{q('group_id')} WHERE ug.{q('user_id')} = u.{q('id')})) "
        f"FROM {token} t JOIN {user} u ON u.{q('id')} = t.{q('user_id')} "
        f"WHERE t.{q('prefix')} = %s AND t.{q('revoked_at')} IS NULL"
    )


# The attribute of a token-authenticated user that holds the permissions read with the token.
TOKEN_PERMISSIONS = "api_token_permissions"


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The token with its active user, whose permissions are loaded with it (kept on the user under
    TOKEN_PERMISSIONS, which core/api_auth.PermissionsBackend answers from for the rest of the request);
    None for anything else."""
    try:
        kind, prefix, secret = plaintext.strip().split("_", 2)
    except ValueError:
        return None
    # Anything but the 12 hex digits we issue is refused before the query: a NUL byte in the prefix
    # would otherwise make PostgreSQL raise (a 500 instead of a 401).
    if kind != TOKEN_PREFIX or not _PREFIX_RE.fullmatch(prefix):
        return None
    row = rawsql.fetch_one(_token_sql(connection.vendor), [prefix])
    if row is None:
        return None
    token = rawsql.rows_to_models(ApiToken, [row[:-1]], related=["user"])[0]
    if not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    user = token.user
    if not user.is_active:
        return None
    if not user.is_superuser:
        setattr(user, TOKEN_PERMISSIONS, frozenset(row[-1].split(",")) if row[-1] else frozenset())
    now = timezone.now()
    # Record use at most once a minute so a busy integration does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_revoke(*, token_id: int, actor: User) -> ApiToken:
    with transaction.atomic(), history.acting(actor):
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by"])
        return token


def staff_user_get_or_create(
    *, username: str, role: str | None = None, password: str | None = None
) -> tuple[Any, bool]:
    """The staff user with this username (created with the password if missing), given the role."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    if role:
        user_assign_role(user=user, role=role)
        if roles.normalize_role(role) == roles.ADMIN and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
    return user, created
