"""A Django email backend that keeps mail in the database (OutboxEmail) instead of sending it.

`settings.EMAIL_BACKEND` uses it when no `EMAIL_HOST` is configured, so `make run` works without an
SMTP server and staff can read what customers would receive on the back office's Outbox page.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend


def _attachment(item: Any) -> dict[str, str]:
    if isinstance(item, MIMEBase):
        payload = item.get_payload(decode=True) or b""
        return {
            "filename": item.get_filename() or "attachment",
            "mimetype": item.get_content_type(),
            "content_b64": base64.b64encode(payload if isinstance(payload, bytes) else b"").decode(),
        }
    filename, content, mimetype = item
    raw = content.encode() if isinstance(content, str) else bytes(content)
    return {
        "filename": filename or "attachment",
        "mimetype": mimetype or "application/octet-stream",
        "content_b64": base64.b64encode(raw).decode(),
    }


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from .models import OutboxEmail

        kept = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next(
                    (str(content) for content, mimetype in message.alternatives if mimetype == "text/html"),
                    "",
                )
            OutboxEmail.objects.create(
                from_email=str(message.from_email or "")[:254],
                to=[*message.to, *message.cc, *message.bcc],
                subject=str(message.subject)[:255],
                text_body=str(message.body),
                html_body=html,
                attachments=[_attachment(item) for item in message.attachments],
            )
            kept += 1
        return kept
