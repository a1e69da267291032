"""Staff login lockout (django-axes). Settings: AXES_* in settings.py, docs/operations.md "Security"."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class StaffLockoutBackend(AxesStandaloneBackend):
    """Axes' check in front of Django's ModelBackend, for logins made through a web request (the staff
    login page, django-admin). An `authenticate()` without a request (a management command, the test
    client's `login()`) faces no web attacker and is left to the next backend instead of failing."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
