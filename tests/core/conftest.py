from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from orderloop.core.services import staff_user_get_or_create


@pytest.fixture
def staff(roles: None) -> Callable[..., User]:
    """A staff user of a role, without a password (hashing one takes a noticeable fraction of a second;
    page tests log in with `force_login`)."""

    def make(role: str, username: str | None = None) -> User:
        user, _created = staff_user_get_or_create(username=username or f"{role.lower()}-user", role=role)
        return User.objects.get(pk=user.pk)  # a fresh object: no cached permissions

    return make
