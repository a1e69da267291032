"""Background tasks of notifications: take ids, re-fetch, idempotent."""

from __future__ import annotations

from django_tasks import task

from .services import customer_message_send


@task()
def send_customer_message(message_id: int) -> bool:
    """Send a queued customer message (one already sent, or being sent by another worker, is left alone)."""
    return customer_message_send(message_id=message_id)
