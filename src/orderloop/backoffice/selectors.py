"""Reads of the back office's own tables."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from .models import SavedView


def saved_views(*, user: User, area: str) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user, area=area).order_by("name")
