"""Reads of the notifications area."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import StaffNotification


def notifications_for(*, user: Any, unread_only: bool = False) -> QuerySet[StaffNotification]:
    """The user's notifications, newest first."""
    rows = StaffNotification.objects.filter(recipient_id=user.pk).select_related("order").order_by("-id")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return StaffNotification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
