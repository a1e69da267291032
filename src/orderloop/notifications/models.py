"""Notifications: in-app notes for staff, and the outbox of messages to customers.

Only services in notifications/services.py write these rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orderloop.orders.models import OrderStatus


class StaffNotificationKind(models.TextChoices):
    SLA_BREACH = "sla_breach", _("SLA breach")
    RISK_FLAGS = "risk_flags", _("Risk flags")
    INFO = "info", _("Information")


class StaffNotification(models.Model):
    """One note for one staff user. `message` is the untranslated text (a msgid marked with
    gettext_noop) with %(name)s placeholders filled from `params` when shown, in the reader's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=StaffNotificationKind.choices)
    message = models.TextField(_("message"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_notifications",
        verbose_name=_("order"),
    )
    # Makes a repeated notification a no-op: one row per (recipient, key) when the key is not empty.
    dedupe_key = models.CharField(_("deduplication key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("staff notification")
        verbose_name_plural = _("staff notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="staff_notification_unique_key",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "id"], name="staff_notif_recipient_idx"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="staff_notif_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.pk}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """The message in the active language, its placeholders filled."""
        params: dict[str, Any] = dict(self.params or {})
        if "status" in params and params["status"] in OrderStatus.values:
            params["status"] = OrderStatus(params["status"]).label
        try:
            return gettext(self.message) % params if params else gettext(self.message)
        except (KeyError, TypeError, ValueError):
            return self.message


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")


class CustomerMessage(models.Model):
    """A message to a customer, written in the customer's language when the fact happened, and sent by
    a task. Unique per (event, channel): whoever writes it twice, or runs the task twice, sends once."""

    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_messages",
        verbose_name=_("order"),
    )
    # The fact the message is about, e.g. "order_event:123".
    event_key = models.CharField(_("event"), max_length=120)
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=20, choices=MessageChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    # Empty subject and body: rendered by the sending task from `kind` (notifications/emails.py), so
    # placing an order only writes a row and the task; the rendered text is kept once sent.
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A worker claims the row before sending (a stale claim may be taken over), then records sent_at.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        constraints = [
            models.UniqueConstraint(fields=["event_key", "channel"], name="customer_message_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["order", "id"], name="customer_message_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event_key} → {self.recipient}"


class OutboxEmail(models.Model):
    """An email kept instead of sent: the mail backend of a shop with no SMTP server configured (the
    demo), so staff can read what customers would receive (back office → Outbox)."""

    from_email = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=255)
    text_body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    # [{"filename": ..., "mimetype": ..., "content_b64": ...}]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
