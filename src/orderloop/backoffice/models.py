"""Back-office tables shared by every area's pages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A list page's filters saved by a user under a name (the page's query string, without paging)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("user")
    )
    # Which list the filters belong to ("orders"; other areas reuse the table with their own name).
    area = models.CharField(_("area"), max_length=40, default="orders")
    name = models.CharField(_("name"), max_length=100)
    query_string = models.TextField(_("filters"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["user_id", "area", "name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["user", "area", "name"], name="saved_view_unique_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.name}"
