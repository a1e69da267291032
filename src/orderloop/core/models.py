from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import history_user


class HistoryRecordBase(models.Model):
    """What every audit-trail row of master data carries besides django-simple-history's own columns
    (who, when, what): how the change came in: a page, an API token (its prefix), or a command or task."""

    history_via = models.CharField(_("via"), max_length=60, blank=True)

    class Meta:
        abstract = True


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

    # Who issued and who revoked which token (the secret's hash and the last use are not history).
    history = HistoricalRecords(
        bases=[HistoryRecordBase], get_user=history_user, excluded_fields=["key_hash", "last_used_at"]
    )

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


class Throttle(models.Model):
    """A counter of attempts for one scope and key (core/throttle.py): wrong guesses at a portal, or an
    API token's requests in the current window, and until when the key is blocked.

    Kept in the database, not in a per-process cache, so every web process on every machine counts the
    same attempts; every change is one conditional UPDATE, so concurrent attempts are all counted on
    both engines. `key` is an HMAC of what is counted (an order number, an address, a token id), so no
    personal data is stored in clear.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("throttle")
        verbose_name_plural = _("throttles")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="throttle_unique_per_scope")]
        indexes = [models.Index(fields=["window_start"], name="throttle_window_idx")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:8]}… {self.hits}"


def _register_auth_history() -> None:
    """Roles are Django's groups: record who changed a role's permissions (setup_roles, django-admin) and
    who gave or took a user's roles. Password and last-login changes are not master data."""
    import simple_history
    from django.contrib.auth.models import Group, User

    if not hasattr(Group, "history"):
        simple_history.register(
            Group,
            app="orderloop.core",
            m2m_fields=["permissions"],
            bases=[HistoryRecordBase],
            get_user=history_user,
        )
    if not hasattr(User, "history"):
        simple_history.register(
            User,
            app="orderloop.core",
            m2m_fields=["groups"],
            excluded_fields=["password", "last_login"],
            bases=[HistoryRecordBase],
            get_user=history_user,
        )


_register_auth_history()


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


class DomainEvent(models.Model):
    """One fact of the event spine: something happened to one subject (an order, a payment, a parcel…).

    Written in the same transaction as the state change it describes (core/events.py), never edited.
    `sequence` counts the subject's events from 1, so a reader can order and de-duplicate them; `data`
    is the versioned payload of the type's shape (the catalogue in docs/events.md), enough for a
    consumer to act without reading the area's tables.
    """

    type = models.CharField(_("type"), max_length=64)
    subject_type = models.CharField(_("subject type"), max_length=32)
    subject_id = models.CharField(_("subject"), max_length=64)
    sequence = models.PositiveIntegerField(_("sequence"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    occurred_at = models.DateTimeField(_("time"))
    actor_kind = models.CharField(_("actor kind"), max_length=16)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    data = models.JSONField(_("data"), default=dict)

    class Meta:
        ordering = ["id"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "sequence"], name="domain_event_subject_sequence"
            )
        ]
        indexes = [
            models.Index(fields=["type", "id"], name="domain_event_type_idx"),
            models.Index(fields=["occurred_at"], name="domain_event_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id}#{self.sequence}"


class ConsumedEvent(models.Model):
    """What one consumer did with one event: written in the consumer's own transaction with its effect,
    so an event is acted on once per consumer however often its task runs (core/consumers.py)."""

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed after every retry")

    consumer = models.CharField(_("consumer"), max_length=64)
    event = models.ForeignKey(
        DomainEvent, on_delete=models.CASCADE, related_name="+", verbose_name=_("event")
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.DONE)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    error = models.TextField(_("error"), blank=True)
    consumed_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("consumed event")
        verbose_name_plural = _("consumed events")
        constraints = [models.UniqueConstraint(fields=["consumer", "event"], name="consumed_event_once")]

    def __str__(self) -> str:
        return f"{self.consumer} {self.event_id} {self.outcome}"
