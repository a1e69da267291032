"""Bulk imports of orders (marketplace exports and the like): the uploaded file, its progress and the
per-order report. Orders themselves are written only by orders.services.order_place."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orderloop.orders.models import Channel


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Reading the file")
    PLACING = "placing", _("Placing orders")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RowStatus(models.TextChoices):
    CREATED = "created", _("Created")
    DUPLICATE = "duplicate", _("Already imported")
    FAILED = "failed", _("Failed")


# The channels a file of orders can come from (web and phone orders are entered one by one).
IMPORT_CHANNELS = (Channel.MARKETPLACE, Channel.SOCIAL, Channel.STORE, Channel.API)


class OrderImport(models.Model):
    """One uploaded file. The content is kept in the row so any worker can read it; `report` holds one
    entry per order of the file:
    `{"row", "external_ref", "status": created|duplicate|failed, "order_number", "errors": {field: message}}`.
    """

    file_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=4, choices=ImportFormat.choices)
    content = models.TextField()
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=[(c.value, c.label) for c in IMPORT_CHANNELS],
        default=Channel.MARKETPLACE,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("orders"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    duplicate_count = models.PositiveIntegerField(_("already imported"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True)
    # Why the whole file could not be imported (unreadable file, crash): [message, ...]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")), name="order_import_processed_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.processed * 100 / self.total))
