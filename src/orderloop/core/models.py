from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token for staff and integrations. Only a SHA-256 of the secret is stored.

    The secret has 256 bits of entropy, so a fast hash is enough (no password stretching needed);
    `prefix` lets us find the row without scanning and is safe to show in the back office.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        permissions = [("manage_api_tokens", "Can create and revoke API tokens of any user")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """The stored answer of a POST sent with an `Idempotency-Key` header (see core/idempotency.py).

    The row is written in the same transaction as the effect it answers for, so a stored answer exists
    exactly when the effect committed; the unique (scope, key) makes concurrent duplicates wait and then
    replay instead of acting twice.
    """

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ProcessRole(models.TextChoices):
    WORKER = "worker", _("task worker")
    SCHEDULER = "scheduler", _("scheduler")


class ProcessHeartbeat(models.Model):
    """A running task worker or scheduler says it is alive (core/workers.py, core/scheduler.py).

    A worker's beat is the lease on the tasks it claimed: a RUNNING task whose worker stopped beating
    for ORDERLOOP["TASK_LEASE_SECONDS"] is put back in the queue. The scheduler's beat is its last tick,
    which the health endpoint reports.
    """

    process_id = models.CharField(_("process"), max_length=64, unique=True)
    role = models.CharField(_("role"), max_length=20, choices=ProcessRole.choices)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"))
    beat_at = models.DateTimeField(_("last beat"), db_index=True)

    class Meta:
        ordering = ["role", "process_id"]
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")

    def __str__(self) -> str:
        return f"{self.role} {self.process_id}"


class PeriodicJob(models.Model):
    """When a periodic task is next due (core/scheduler.py). A scheduler takes a period by moving
    `next_run_at` on in the transaction that enqueues the run, so however many schedulers run, each
    period is enqueued once, and a restarted scheduler keeps the rhythm."""

    path = models.CharField(_("task"), max_length=200, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=20, blank=True)
    last_scheduler = models.CharField(_("last scheduler"), max_length=64, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.path
